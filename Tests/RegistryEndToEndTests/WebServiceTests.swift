import Foundation
import Testing

/// `registry demo --http` and `registry serve --http` as a user starts them: the demo's
/// accounts, the ready line, sign-in, `/rpc` with the session, a clean stop on SIGTERM.
@Suite("The web service, end to end", .serialized)
struct WebServiceTests {
    /// Runs curl; its standard output.
    func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "20"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("demo --http: four demo accounts, ready line, sign-in, /rpc for the session, exit 0 on SIGTERM")
    func demo() throws {
        let folder = NSTemporaryDirectory() + "registry-web-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let process = Process()
        process.executableURL = Binary.url
        process.arguments = ["demo", "--http", "--port", "0"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("listening on"), Date() < deadline {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let passwords = Dictionary(uniqueKeysWithValues: text.split(separator: "\n").compactMap { line -> (String, String)? in
            let words = line.split(separator: " ")
            guard words.count >= 6, words[0] == "demo", words[1] == "account" else { return nil }
            return (String(words[2]), String(words.last!))
        })
        #expect(Set(passwords.keys) == ["admin", "xiushui", "police", "leader"], "\(text)")
        let base = try #require(text.split(separator: "\n").first { $0.hasPrefix("listening on ") }.map { String($0.dropFirst("listening on ".count)) })
        #expect(try curl([base + "/healthz"]) == #"{"status":"ok"}"#)
        let jar = folder + "/cookies"
        let signIn = try curl(["-o", "/dev/null", "-w", "%{http_code}", "-c", jar, "-d", "username=xiushui&password=\(passwords["xiushui"] ?? "")", base + "/login"])
        #expect(signIn == "303")
        let areas = try curl(["-b", jar, "-H", "Content-Type: application/json", "-d", #"{"jsonrpc":"2.0","id":1,"method":"resident.find","params":{"limit":3}}"#, base + "/rpc"])
        let found = ((try json(areas) as? [String: Any])?["result"] as? [String: Any])?["residents"] as? [[String: Any]] ?? []
        #expect(found.count == 3, "\(areas)")
        #expect(found.allSatisfy { ($0["unitId"] as? String)?.hasPrefix("411525003") == true }, "a Xiushui clerk finds Xiushui's people only: \(areas)")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
