import ArgumentParser
import Foundation
import RegistryCore

struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "The dynamic ledger (流动人口动态管理台账): events, roster, export.",
        subcommands: [LedgerEventsCommand.self, LedgerRosterCommand.self, LedgerExportCommand.self, LedgerDiffCommand.self])
}

/// `--reveal` and `--purpose`, shared by the ledger commands.
struct RevealOptions: ParsableArguments {
    @Flag(help: "Show full ID numbers (needs --purpose; audited).") var reveal = false
    @Option(help: "Why full ID numbers are needed.") var purpose: String?
}

/// `--format` and `-o`, shared by the exporting commands.
struct ExportOptions: ParsableArguments {
    @Option(help: "csv (default), ndjson or xlsx (a workbook with Chinese titles; needs -o FILE).") var format: ExportFormat = .csv
    @Option(name: [.customShort("o"), .long], help: "Write to this file (whole or not at all; a new file or a regular one, never a device or a link), or - for standard output.") var output: String?

    func validate() throws {
        try Self.validate(format: format, output: output)
    }

    /// A workbook is written to a file: never to a terminal, and never by default to
    /// standard output (`-o -` asks for it).
    static func validate(format: ExportFormat, output: String?) throws {
        if format == .xlsx && output == nil {
            throw ValidationError("--format xlsx writes a workbook: name the file with -o FILE (or -o - for standard output)")
        }
    }

    func sink() throws -> OutputSink {
        try Self.sink(output)
    }

    /// Standard output for none or `-`, else the file, written safely.
    static func sink(_ output: String?) throws -> OutputSink {
        guard let output, output != "-" else { return .standardOutput() }
        return try refusals { () throws(RegistryError) in try OutputSink.file(output) }
    }
}

/// `registry ledger events`: `ledger.events`.
struct LedgerEventsCommand: MethodCommand {
    static let method = LedgerEvents.method
    static let configuration = CommandConfiguration(commandName: "events", abstract: "A page of ledger events.")
    @Option(help: "Only events in this area (any level).") var area: String?
    @Option(help: "Only events dated on or after this day.") var from: CivilDate?
    @Option(help: "Only events dated on or before this day.") var to: CivilDate?
    @Option(help: "The cursor from the previous page's next.") var after: Int?
    @Option(help: "Page size, 1 to 1000 (default 100).") var limit: Int?
    @OptionGroup var revealing: RevealOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params {
        Params {
            $0.set("area", area); $0.set("from", from); $0.set("to", to); $0.set("after", after); $0.set("limit", limit)
            $0.set("reveal", revealing.reveal ? true : nil); $0.set("purpose", revealing.purpose)
        }
    }
}

/// `registry ledger export`: streams the ledger as CSV or NDJSON.
struct LedgerExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Stream the ledger as CSV (default) or NDJSON.",
        discussion: "Each export is audited. For a weekly incremental export, name the consumer with --consumer (the export starts where that consumer's last one ended, and remembers where this one ends), or pass the last seq of the previous export as --after; the last seq written is reported on standard error.")
    @Option(help: "Only events in this area (any level).") var area: String?
    @Option(help: "Only events dated on or after this day.") var from: CivilDate?
    @Option(help: "Only events dated on or before this day.") var to: CivilDate?
    @Option(help: "Only events after this seq (incremental export).") var after: Int?
    @Option(help: "A named consumer (police-weekly): start after its last export, and remember where this one ends.") var consumer: String?

    func validate() throws {
        if consumer != nil && after != nil { throw ValidationError("--after and --consumer do not go together: the consumer knows where to start") }
        if consumer != nil && (from != nil || to != nil) {
            throw ValidationError("--from and --to do not go with --consumer: a date filter would move the consumer past events it never got")
        }
    }
    @OptionGroup var revealing: RevealOptions
    @OptionGroup var export: ExportOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let registry = try database.open()
        let exporter = try refusals { () throws(RegistryError) in
            try Export(format: export.format.exportFormat, reveal: revealing.reveal, purpose: revealing.purpose)
        }
        let sink = try export.sink()
        let summary = try refusals { () throws(RegistryError) in
            try exporter.ledger(registry, area: area, from: from, to: to, after: after.map(Int64.init), consumer: consumer,
                                to: sink, operator: database.operatorName)
        }
        var line = "registry: exported \(summary.count) events; last seq \(summary.lastSeq.map(String.init) ?? "-")"
        if let consumer {
            line += "; consumer \(consumer) started after seq \(summary.startedAfter ?? 0), now at \(summary.lastSeq ?? summary.startedAfter ?? 0)"
        }
        if let head = summary.head {
            line += "; ledger head \(head.seq):\(head.hash)"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// `registry ledger roster`: who lives where on a day, as CSV or NDJSON (or, with --json,
/// the `ledger.roster` result).
struct LedgerRosterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roster", abstract: "Write the roster of residents on a day (migrants only unless --all).")
    @Option(help: "The day.") var asOf: CivilDate
    @Option(help: "Only this area (any level).") var area: String?
    @Flag(help: "Everyone, not only migrants.") var all = false
    @OptionGroup var revealing: RevealOptions
    @OptionGroup var export: ExportOptions
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print the ledger.roster result object instead of a file.") var json = false

    func run() throws {
        let registry = try database.open()
        if json {
            var params = Params()
            params.set("asOf", asOf); params.set("area", area); params.set("migrantOnly", all ? false : nil)
            params.set("reveal", revealing.reveal ? true : nil); params.set("purpose", revealing.purpose)
            let result = try refusals { () throws(RegistryError) in
                try registry.perform(method: LedgerRoster.method, params: params.json, operator: database.operatorName)
            }
            emit(JSONWriter.string(result))
            return
        }
        let exporter = try refusals { () throws(RegistryError) in
            try Export(format: export.format.exportFormat, reveal: revealing.reveal, purpose: revealing.purpose)
        }
        let sink = try export.sink()
        let summary = try refusals { () throws(RegistryError) in
            try exporter.roster(registry, asOf: asOf, area: area, migrantOnly: !all, to: sink, operator: database.operatorName)
        }
        FileHandle.standardError.write(Data("registry: wrote \(summary.count) residents\n".utf8))
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Who saw full ID numbers or exported the ledger.",
        subcommands: [AuditListCommand.self])
}

/// `registry audit list`: `audit.list`.
struct AuditListCommand: MethodCommand {
    static let method = ListAudit.method
    static let configuration = CommandConfiguration(commandName: "list", abstract: "A page of the audit trail.")
    @Option(help: "The cursor from the previous page's next.") var after: Int?
    @Option(help: "Page size, 1 to 1000 (default 100).") var limit: Int?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    var params: Params { Params { $0.set("after", after); $0.set("limit", limit) } }
}
