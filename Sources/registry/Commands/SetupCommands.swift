import ArgumentParser
import Foundation
import RegistryCore
import RegistryRPC
import RegistryHTTP

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

/// `registry serve --stdio`: the JSON-RPC 2.0 interface for scripts (as the trusted local
/// administrator); `registry serve --http`: the web service for signed-in accounts.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve JSON-RPC 2.0 on standard input (--stdio), or the web service (--http).",
        discussion: "--stdio acts for whoever runs it, as an administrator (--operator names who). --http serves POST /rpc, sign-in and the pages for signed-in accounts (see `registry user add`); it prints `listening on http://HOST:PORT` on standard error when ready and stops cleanly on SIGTERM or SIGINT.")
    @Flag(help: "Read requests from standard input and answer on standard output.") var stdio = false
    @Flag(help: "Serve HTTP: POST /rpc, sign-in and pages.") var http = false
    @Option(help: "The address to listen on (--http).") var host: String = "127.0.0.1"
    @Option(help: "The port to listen on (--http; 0 picks a free one).") var port: Int = 8080
    @Flag(help: "Mark the session cookie Secure (behind a TLS proxy).") var secureCookies = false
    @Option(help: "The longest request line accepted, in bytes (default 8 MiB).") var maxLineBytes: Int = JSONRPCServer.defaultMaxLineBytes
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard stdio != http else { throw ValidationError("serve needs one of --stdio or --http") }
        guard maxLineBytes >= 64 else { throw ValidationError("--max-line-bytes must be at least 64") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let registry = try database.open()
        if http {
            try serveHTTP(registry, host: host, port: port, secureCookies: secureCookies)
            return
        }
        JSONRPCServer(registry: registry, operator: database.operatorName, maxLineBytes: maxLineBytes).serve()
    }
}

/// Runs the web service until SIGTERM or SIGINT, saying on standard error where it listens.
func serveHTTP(_ registry: Registry, host: String, port: Int, secureCookies: Bool) throws {
    let service = HTTPService(registry: registry, secureCookies: secureCookies)
    let done = DispatchSemaphore(value: 0)
    let failure = FailureBox()
    Task {
        do {
            try await service.run(host: host, port: port) { bound in
                FileHandle.standardError.write(Data("listening on http://\(host):\(bound)\n".utf8))
            }
        } catch {
            failure.error = error
        }
        done.signal()
    }
    done.wait()
    if let error = failure.error {
        FileHandle.standardError.write(Data("registry: the web service stopped: \(error) (http_failed)\n".utf8))
        throw ExitCode.failure
    }
}

/// The error a service task ended with, read after it signalled.
final class FailureBox: @unchecked Sendable {
    var error: (any Error)?
}
