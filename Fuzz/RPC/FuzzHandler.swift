// The whole JSON-RPC handler, database included, under libFuzzer.
//
// Each input is split into lines and answered by `JSONRPCServer.respond(to:)`, the same
// function `registry serve --stdio` runs for every group of lines, against one registry
// (in /dev/shm when there is one, so that each commit's fsync is cheap) that keeps the
// state of every input before it. Checked for every input: no crash, hang or leak; every
// response line is a JSON-RPC 2.0 response object (or a batch of them) with a result or a
// well-formed error; at most one response line per input line.
//
// Built by `scripts/fuzz` with `-sanitize=fuzzer,address -DFUZZING`. Built without
// FUZZING (as `swift build` does), the same target replays files given as arguments: a
// crashing input kept in Fuzz/crashes/ is rerun with `registry-fuzz FILE`.

import Foundation
import RegistryCore
import RegistryRPC

/// The server the inputs are sent to, made on first use.
enum FuzzTarget {
    nonisolated(unsafe) static var server: JSONRPCServer?

    static func makeServer() -> JSONRPCServer {
        if let server { return server }
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let folder = base + "/registry-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        do {
            let registry = try Registry.initialize(path: folder + "/fuzz.sqlite",
                                                   settings: RegistrySettings(countyCode: "411525", countyName: "固始县"))
            for (method, params) in [
                ("area.add", #"{"code":"411525003","name":"秀水街道","level":"subdistrict","parent":"411525"}"#),
                ("area.add", #"{"code":"411525003001","name":"日出东方社区","level":"community","parent":"411525003"}"#),
                ("area.add", #"{"code":"411525003001001","name":"第一网格","level":"grid","parent":"411525003001"}"#),
                ("unit.add", #"{"unitId":"F1","grid":"411525003001001","address":"秀水路1号","kind":"rental","discoveredOn":"2025-01-01"}"#),
                ("unit.add", #"{"unitId":"F2","grid":"411525003001001","address":"秀水路2号","kind":"owner","discoveredOn":"2025-01-01"}"#),
            ] {
                _ = try? registry.perform(method: method, params: try JSONParser.parse(Data(params.utf8)), operator: "fuzz")
            }
            let made = JSONRPCServer(registry: registry, operator: "fuzz", maxLineBytes: 1 << 16)
            server = made
            return made
        } catch {
            fatalError("cannot set up the fuzzing registry in \(folder): \(error)")
        }
    }

    /// Answers `bytes` as input lines and checks the answers.
    static func run(_ bytes: [UInt8]) {
        let server = makeServer()
        var items: [LineReader.Item] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            items.append(.line(Data(bytes[start..<index])))
            start = index + 1
        }
        if start < bytes.count { items.append(.line(Data(bytes[start...]))) }
        let responses = server.respond(to: items)
        guard responses.count <= items.count else {
            fatalError("\(responses.count) responses to \(items.count) lines")
        }
        for line in responses {
            guard let value = try? JSONParser.parse(Data(line.utf8)) else { fatalError("a response is not JSON: \(line)") }
            if case let .array(members) = value {
                guard !members.isEmpty else { fatalError("an empty batch response: \(line)") }
                members.forEach { check($0, line) }
            } else {
                check(value, line)
            }
        }
    }

    static func check(_ response: JSONValue, _ line: String) {
        guard response["jsonrpc"] == .string("2.0"), response["id"] != nil else { fatalError("not a JSON-RPC 2.0 response: \(line)") }
        if let error = response["error"] {
            guard response["result"] == nil, case .int = error["code"] ?? .null, case .string = error["message"] ?? .null else {
                fatalError("a malformed error: \(line)")
            }
            if case let .int(code) = error["code"] ?? .null, code == -32603 {
                fatalError("an internal error: \(line)")
            }
        } else if response["result"] == nil {
            fatalError("neither result nor error: \(line)")
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandler(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// libFuzzer's driver, called from the entry point SwiftPM gives an executable target
/// (it links `main` to `registry_fuzz_main`, so libFuzzer's own `main` is not used).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("registry_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzHandler)
}
#else
@main
struct Replay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            FuzzTarget.run(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            print("ok \(path)")
        }
    }
}
#endif
