import ArgumentParser
import Foundation
import RegistryCore

/// `registry demo`: builds a fresh database from the seed and prints its headline figures.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Build a fresh demo database of Gushi County and print its headline figures.",
        discussion: "Writes nothing outside a temporary folder unless --db names where to keep the database.")
    @Option(help: "Keep the demo database here (it must not exist yet).") var db: String?
    @Flag(help: "Print the figures as one JSON object.") var json = false
    @Flag(help: "Then serve the demo on the web, with four demo accounts (passwords on standard error).") var http = false
    @Option(help: "The port of --http (0 picks a free one).") var port: Int = 8080

    func run() throws {
        let folder = NSTemporaryDirectory() + "registry-demo-\(getpid())"
        let path = db ?? folder + "/registry.sqlite"
        if let db, FileManager.default.fileExists(atPath: db) {
            FileHandle.standardError.write(Data("registry: \(db) exists; the demo builds a fresh database (exists)\n".utf8))
            throw ExitCode.failure
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = Date()
        let registry = try refusals { () throws(RegistryError) in
            try Registry.initialize(path: path, settings: RegistrySettings(countyCode: DemoSeed.countyCode, countyName: DemoSeed.countyName))
        }
        let counts = try loadSeed(registry, actor: "demo")
        let headline = try refusals { () throws(RegistryError) in try DemoHeadline.compute(registry) }
        if json {
            emit(JSONWriter.string(headline.json))
            return
        }
        emit("""
            固始县 (411525) demo: \(counts[.areas] ?? 0) areas, \(counts[.units] ?? 0) units, \(counts[.residents] ?? 0) residence records \
            loaded in \(String(format: "%.1f", Date().timeIntervalSince(started))) s\(db.map { " into \($0)" } ?? " (temporary database)").
            """)
        emit("")
        emit(headline.text)
        if http { try serveDemo(registry) }
    }

    /// The demo accounts — admin, xiushui (clerk of 秀水街道), police (liaison), leader
    /// (viewer) — with random passwords on standard error, then the web service.
    private func serveDemo(_ registry: Registry) throws {
        let accounts: [(String, Role, [String], String)] = [
            ("admin", .admin, [], "管理员"), ("xiushui", .clerk, ["411525003"], "秀水街道办"),
            ("police", .liaison, [], "派出所联络员"), ("leader", .viewer, [], "街道领导"),
        ]
        for (username, role, areas, name) in accounts {
            let password = String((0..<14).map { _ in "abcdefghjkmnpqrstuvwxyz23456789".randomElement()! })
            _ = try refusals { () throws(RegistryError) in
                try registry.addUser(username: username, role: role, areas: areas, displayName: name, password: password, operator: "demo")
            }
            FileHandle.standardError.write(Data("demo account \(username) (\(role.rawValue)): password \(password)\n".utf8))
        }
        try serveHTTP(registry, host: "127.0.0.1", port: port, secureCookies: false)
    }
}
