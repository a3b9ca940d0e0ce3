import ArgumentParser
import Foundation
import RegistryCore

/// `registry worklist …`: what a clerk does next.
struct WorklistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worklist", abstract: "What to do next: rentals known but unregistered, residence-permit eligibility, duplicates.",
        subcommands: [WorklistUnregisteredUnits.self, WorklistPermitEligible.self, WorklistDuplicates.self])
}

/// `registry worklist unregistered-units`: `worklist.unregisteredUnits`.
struct WorklistUnregisteredUnits: MethodCommand {
    static let method = UnregisteredUnits.method
    static let configuration = CommandConfiguration(commandName: "unregistered-units", abstract: "Rentals known for a while but not registered, oldest first.")
    @Option(help: "The day.") var asOf: CivilDate
    @Option(help: "Only this area (any level).") var area: String?
    @Option(help: "Known for at least this many days (default 30).") var olderThanDays: Int?
    @Option(help: "Page size, 1 to 1000 (default 100).") var limit: Int?
    @Option(help: "The cursor from the previous page's next.") var after: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params {
        Params { $0.set("asOf", asOf); $0.set("area", area); $0.set("olderThanDays", olderThanDays); $0.set("limit", limit); $0.set("after", after) }
    }
}

/// `registry worklist permit-eligible`: `worklist.permitEligible`.
struct WorklistPermitEligible: MethodCommand {
    static let method = PermitEligible.method
    static let configuration = CommandConfiguration(commandName: "permit-eligible", abstract: "Migrants whose unbroken stay has lasted six months (居住证).")
    @Option(help: "The day.") var asOf: CivilDate
    @Option(help: "Only this area (any level).") var area: String?
    @Option(help: "Page size, 1 to 1000 (default 100).") var limit: Int?
    @Option(help: "The cursor from the previous page's next.") var after: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("asOf", asOf); $0.set("area", area); $0.set("limit", limit); $0.set("after", after) } }
}

/// `registry worklist duplicates`: `worklist.duplicates`.
struct WorklistDuplicates: MethodCommand {
    static let method = Duplicates.method
    static let configuration = CommandConfiguration(commandName: "duplicates", abstract: "People or units that are probably recorded twice.")
    @Option(help: "Only this area (any level).") var area: String?
    @Option(help: "Page size, 1 to 1000 (default 100).") var limit: Int?
    @Option(help: "The cursor from the previous page's next.") var after: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("area", area); $0.set("limit", limit); $0.set("after", after) } }
}

/// `registry metrics timeliness`: `metrics.timeliness`.
struct MetricsTimeliness: MethodCommand {
    static let method = Timeliness.method
    static let configuration = CommandConfiguration(commandName: "timeliness", abstract: "Move-ins recorded within a few days of the move, per area.")
    @Option(help: "county, subdistrict, community or grid.") var level: AreaLevel
    @Option(help: "The first day.") var from: CivilDate
    @Option(help: "The last day.") var to: CivilDate
    @Option(help: "Only the areas under this one.") var parent: String?
    @Option(help: "On time when recorded within this many days (default 3).") var withinDays: Int?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params {
        Params { $0.set("level", level); $0.set("from", from); $0.set("to", to); $0.set("parent", parent); $0.set("withinDays", withinDays) }
    }
}

/// `registry ledger diff`: `ledger.diff`, as a table, JSON, or a CSV/NDJSON file.
struct LedgerDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Who arrived, left or moved in an area between two days (the weekly reconciliation).")
    @Option(help: "The first day.") var from: CivilDate
    @Option(help: "The second day.") var to: CivilDate
    @Option(help: "Only this area (any level).") var area: String?
    @Flag(help: "Everyone, not only migrants.") var all = false
    @OptionGroup var revealing: RevealOptions
    @Option(help: "csv, ndjson or xlsx: write the changes as a file (with -o; csv and ndjson may go to standard output).") var format: ExportFormat?
    @Option(name: [.customShort("o"), .long], help: "Write to this file (whole or not at all), or - for standard output.") var output: String?
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print the ledger.diff result object.") var json = false

    func validate() throws {
        try ExportOptions.validate(format: format ?? .csv, output: output)
    }

    func run() throws {
        let registry = try database.open()
        var params = Params()
        params.set("from", from); params.set("to", to); params.set("area", area); params.set("migrantOnly", all ? false : nil)
        params.set("reveal", revealing.reveal ? true : nil); params.set("purpose", revealing.purpose)
        let result = try refusals { () throws(RegistryError) in
            try registry.perform(method: LedgerDiff.method, params: params.json, operator: database.operatorName)
        }
        guard format != nil || output != nil else {
            emit(json ? JSONWriter.string(result) : ResultText.render(result))
            return
        }
        let sink = try ExportOptions.sink(output)
        let written = try refusals { () throws(RegistryError) in
            try LedgerDiff.write(result, format: (format ?? .csv).exportFormat, to: sink)
        }
        FileHandle.standardError.write(Data("registry: wrote \(written) changes\n".utf8))
    }
}
