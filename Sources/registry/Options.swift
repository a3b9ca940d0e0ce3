import ArgumentParser
import Foundation
import RegistryCore

/// `--db` and `--operator`, accepted after the verb of every command that opens a database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The database file (default: $REGISTRY_DB, else registry.sqlite).")
    var db: String?

    @Option(name: .customLong("key-file"), help: "The key file that seals ID numbers and phones (default: $REGISTRY_KEY_FILE, else the database's path + .key).")
    var keyFileOption: String?

    @Option(name: .customLong("operator"), help: "Who acts, recorded on every event and audit entry (default: $REGISTRY_OPERATOR).")
    var actor: String?

    /// The database path: `--db`, else `REGISTRY_DB`, else `registry.sqlite` in the current folder.
    var path: String {
        db ?? ProcessInfo.processInfo.environment["REGISTRY_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "registry.sqlite"
    }

    /// The key file: `--key-file`, else `REGISTRY_KEY_FILE`, else `nil` (the database's path + `.key`).
    var keyFile: String? {
        keyFileOption ?? ProcessInfo.processInfo.environment["REGISTRY_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The operator: `--operator`, else `REGISTRY_OPERATOR`, else the login name; checked
    /// by ``validate()`` against the core's text rules.
    var operatorName: String {
        let environment = ProcessInfo.processInfo.environment
        for candidate in [actor, environment["REGISTRY_OPERATOR"], environment["USER"]] {
            if let name = candidate, !name.trimmingCharacters(in: .whitespaces).isEmpty {
                return (try? TextRules.operatorName(name)) ?? name
            }
        }
        return "unknown"
    }

    /// A malformed operator (control or bidirectional-override characters, more than 64
    /// characters) is a usage error: it would forge lines of `registry audit list`.
    func validate() throws {
        let environment = ProcessInfo.processInfo.environment
        for candidate in [actor, environment["REGISTRY_OPERATOR"], environment["USER"]] {
            guard let name = candidate, !name.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            do {
                _ = try TextRules.operatorName(name)
            } catch {
                throw ValidationError(error.message)
            }
            return
        }
    }

    func open() throws -> Registry {
        try refusals { () throws(RegistryError) in try Registry.open(path: path, keyFile: keyFile) }
    }
}

/// `--json`: print the method's result object instead of a table.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the method's result object as JSON.")
    var json = false
}

extension CivilDate: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

extension AreaLevel: ExpressibleByArgument {}
extension UnitKind: ExpressibleByArgument {}
extension Relation: ExpressibleByArgument {}
extension TrendStep: ExpressibleByArgument {}
extension MigrantScope: ExpressibleByArgument {}

/// The output formats of exports.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, ndjson, xlsx

    /// The core's format of the same name.
    var exportFormat: Export.Format { Export.Format(rawValue: rawValue)! }
}

/// Runs `body`, turning a refusal into the contract's exit: the message and reason on
/// standard error, exit status 1.
func refusals<T>(_ body: () throws(RegistryError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        FileHandle.standardError.write(Data("registry: \(error.message) (\(error.reason))\n".utf8))
        throw ExitCode.failure
    }
}

/// Prints a line to standard output.
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
