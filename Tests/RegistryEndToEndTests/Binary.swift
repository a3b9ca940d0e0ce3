import Foundation
import Testing

/// Runs the built `registry` binary as a user would: arguments, environment, standard
/// input, and what comes back on standard output, standard error and the exit status.
struct Binary {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutData: Data
    }

    /// The `registry` executable beside the test bundle (`swift test` builds it first).
    static let url: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("registry")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/registry")
    }()

    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "registry-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    var db: String { folder + "/registry.sqlite" }

    /// Runs `registry arguments…` in the test's folder with `REGISTRY_DB` set to its database.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = Self.url
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var env = ProcessInfo.processInfo.environment
        env["REGISTRY_DB"] = db
        env["REGISTRY_OPERATOR"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), input = Pipe()
        // Standard error goes to a file, so that neither stream can fill a pipe and block the child.
        let errPath = folder + "/.stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try err.close()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
    }

    @discardableResult
    func run(_ arguments: String..., stdin: String? = nil) throws -> Run {
        try run(arguments, stdin: stdin)
    }

    /// Creates the county and Xiushui's areas.
    func setUp() throws {
        #expect(try run("init", "--county", "411525", "--name", "固始县").status == 0)
        #expect(try run("area", "add", "--code", "411525003", "--name", "秀水街道", "--level", "subdistrict", "--parent", "411525").status == 0)
        #expect(try run("area", "add", "--code", "411525003001", "--name", "日出东方社区", "--level", "community", "--parent", "411525003").status == 0)
        #expect(try run("area", "add", "--code", "411525003001001", "--name", "第一网格", "--level", "grid", "--parent", "411525003001").status == 0)
    }
}

/// Parses one JSON document.
func json(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
