import ArgumentParser
import Foundation
import RegistryCore
import RegistryRPC

/// `registry init`: creates the database for a county.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the registry database for a county.",
        discussion: "Running it again on a database of the same county does nothing and succeeds; of another county, it fails.")
    @Option(help: "The county's 6-digit division code (固始县: 411525).") var county: String
    @Option(help: "The county's name.") var name: String
    @Option(help: "county (default) or subdistrict: how migrants are decided.") var migrantScope: MigrantScope = .county
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try refusals { () throws(RegistryError) in
            try Registry.initialize(path: database.path, settings: RegistrySettings(countyCode: county, countyName: name, migrantScope: migrantScope), keyFile: database.keyFile)
        }
        let result = JSONValue.object([
            ("county", .string(registry.settings.countyCode)), ("name", .string(registry.settings.countyName)),
            ("migrantScope", .string(registry.settings.migrantScope.rawValue)), ("db", .string(registry.path)),
            ("keyFile", .string(registry.keyFile)),
        ])
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}

/// `registry serve --stdio`: the JSON-RPC 2.0 interface for scripts.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve JSON-RPC 2.0 requests, one per line, on standard input.")
    @Flag(help: "Read requests from standard input and answer on standard output.") var stdio = false
    @Option(help: "The longest request line accepted, in bytes (default 8 MiB).") var maxLineBytes: Int = JSONRPCServer.defaultMaxLineBytes
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard stdio else { throw ValidationError("serve needs --stdio (the only transport)") }
        guard maxLineBytes >= 64 else { throw ValidationError("--max-line-bytes must be at least 64") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let registry = try database.open()
        JSONRPCServer(registry: registry, operator: database.operatorName, maxLineBytes: maxLineBytes).serve()
    }
}
