import Foundation

// libFuzzer entry point: the CSV import reader. Any bytes must give records or a
// `Malformed` error with a line number, never a crash or a hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = "/tmp/registry-fuzz-csv-\(getpid()).csv"
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    guard var reader = try? CSVRecordReader(path: path) else { return 0 }
    defer { reader.close() }
    var lastLine = 0
    while true {
        do {
            guard let record = try reader.next() else { break }
            precondition(record.line > lastLine || (record.line == lastLine && lastLine == 0))
            lastLine = record.line
        } catch {
            precondition(error.line >= 1)
            break
        }
    }
    return 0
}
