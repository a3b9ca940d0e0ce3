import ArgumentParser
import Foundation
import RegistryCore

/// A command that performs one method of the contract: it turns its flags into the
/// method's params (kebab-case flag, camelCase field), calls the core, and prints the
/// result as a table or, with `--json`, as the result object. No business rule lives here.
protocol MethodCommand: ParsableCommand {
    /// The method this command performs, such as `unit.add`.
    static var method: String { get }
    var database: DatabaseOptions { get }
    var output: OutputOptions { get }
    /// The params object, holding only the flags that were given.
    var params: Params { get }
}

extension MethodCommand {
    func run() throws {
        let registry = try database.open()
        let result = try refusals { () throws(RegistryError) in
            try registry.perform(method: Self.method, params: params.json, operator: database.operatorName)
        }
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}

/// Builds a params object from optional flag values, skipping those not given.
struct Params {
    private(set) var json: JSONValue = .object([])

    init(_ build: (inout Params) -> Void = { _ in }) {
        build(&self)
    }

    mutating func set(_ key: String, _ value: JSONValue?) {
        guard let value, case var .object(pairs) = json else { return }
        pairs.append((key, value))
        json = .object(pairs)
    }

    mutating func set(_ key: String, _ value: String?) { set(key, value.map(JSONValue.string)) }
    mutating func set(_ key: String, _ value: CivilDate?) { set(key, value.map { JSONValue.string($0.description) }) }
    mutating func set(_ key: String, _ value: Int?) { set(key, value.map { JSONValue.int(Int64($0)) }) }
    mutating func set(_ key: String, _ value: Double?) { set(key, value.map(JSONValue.double)) }
    mutating func set(_ key: String, _ value: Bool?) { set(key, value.map(JSONValue.bool)) }
    mutating func set<E: RawRepresentable<String>>(_ key: String, _ value: E?) { set(key, value?.rawValue) }
}
