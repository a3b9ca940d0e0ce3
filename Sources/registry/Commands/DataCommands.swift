import ArgumentParser
import Foundation
import RegistryCore

/// `registry import areas|units|residents FILE.csv|FILE.xlsx [--dry-run]`.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import areas, units or residents from a CSV or xlsx file, all or nothing.",
        discussion: """
            Columns — areas: code,name,level,parent; units: unit_id,grid,address,kind,landlord_name,landlord_id_number,\
            landlord_phone,discovered_on,registered_on; residents: id_number,name,phone,hukou_code,unit_id,moved_in,moved_out \
            (or their Chinese titles: 身份证号, 姓名, 电话, …). A CSV file is UTF-8 (with or without a BOM) or GB18030, \
            detected unless --encoding says; an xlsx workbook is read from its first sheet, and a cell of an ID-number, \
            phone or code column stored as a number is refused. One bad row refuses the whole file; --dry-run checks \
            every row and writes nothing.
            """)
    @Argument(help: "areas, units or residents.") var kind: CSVImport.Kind
    @Argument(help: "The CSV or xlsx file.") var file: String
    @Option(help: "utf-8 or gb18030 for a CSV file (detected when not given).") var encoding: TextEncoding?
    @Flag(help: "Check every row as the import would, report each bad one, and write nothing.") var dryRun = false
    @Flag(help: "Show progress on standard error even when it is not a terminal.") var progress = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try database.open()
        let showProgress = progress || isatty(STDERR_FILENO) == 1
        let reporter: ((Int, Double) -> Void)? = showProgress ? { rows, seconds in
            FileHandle.standardError.write(Data("\rregistry: \(rows) rows, \(Int(Double(rows) / max(seconds, 0.001))) rows/s   ".utf8))
        } : nil
        do {
            let summary = try CSVImport(kind: kind, encoding: encoding, dryRun: dryRun).run(registry, path: file, operator: database.operatorName, progress: reporter)
            if showProgress { FileHandle.standardError.write(Data("\r".utf8)) }
            if dryRun {
                let result = JSONValue.object([("kind", .string(kind.rawValue)), ("rows", .int(Int64(summary.rows))), ("bad", .int(0)), ("dryRun", .bool(true))])
                emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
                FileHandle.standardError.write(Data("registry: dry run: all \(summary.rows) rows of \(file) would be imported; nothing was written\n".utf8))
                return
            }
            let result = JSONValue.object([
                ("kind", .string(kind.rawValue)), ("rows", .int(Int64(summary.rows))),
                ("seconds", .double((summary.seconds * 1000).rounded() / 1000)),
                ("rowsPerSecond", .int(Int64(Double(summary.rows) / max(summary.seconds, 0.001)))),
                ("path", .string(summary.bulk ? "bulk" : "row by row")),
            ])
            emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
        } catch let refusal as CSVImport.Refusal {
            var text = dryRun
                ? "registry: dry run: \(file) has \(refusal.badRowCount) bad row(s); nothing was written (bad_rows)\n"
                : "registry: \(file) was not imported: \(refusal.badRowCount) bad row(s); the database is unchanged (bad_rows)\n"
            for row in refusal.badRows { text += "  \(row)\n" }
            if refusal.badRowCount > refusal.badRows.count {
                text += "  … and \(refusal.badRowCount - refusal.badRows.count) more\n"
            }
            FileHandle.standardError.write(Data(text.utf8))
            throw ExitCode.failure
        } catch let error as RegistryError {
            _ = try refusals { () throws(RegistryError) in throw error }
        }
    }
}

extension CSVImport.Kind: ExpressibleByArgument {}
extension TextEncoding: ExpressibleByArgument {}

/// `registry generate`: synthetic county files.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Write areas.csv, units.csv and residents.csv of a synthetic county.",
        discussion: "The same --seed gives the same bytes. The files import cleanly in that order.")
    @Option(help: "Exactly this many distinct people.") var residents: Int
    @Option(help: "The random seed.") var seed: UInt64 = 1
    @Option(help: "The county's division code.") var county: String = "411525"
    @Option(help: "The folder to write (created when missing).") var out: String
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard residents >= 1 else { throw ValidationError("--residents must be at least 1") }
        guard county.count == 6, county.allSatisfy(\.isNumber) else { throw ValidationError("--county must be a 6-digit division code") }
    }

    func run() throws {
        let summary = try refusals { () throws(RegistryError) in
            try CountyGenerator(residents: residents, seed: seed, countyCode: county).write(to: out)
        }
        let result = JSONValue.object([
            ("out", .string(out)), ("areas", .int(Int64(summary.areas))), ("units", .int(Int64(summary.units))),
            ("rentalUnits", .int(Int64(summary.rentalUnits))), ("residents", .int(Int64(summary.people))),
            ("residenceRows", .int(Int64(summary.residenceRows))),
        ])
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}

/// `registry seed`: loads the shipped Gushi County demo data.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed", abstract: "Fill a new database with the demo data of Gushi County (411525).",
        discussion: "Creates the database as 411525 固始县 when it does not exist; refuses one that already holds units or residents.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try refusals { () throws(RegistryError) in
            try Registry.initialize(path: database.path, settings: RegistrySettings(countyCode: DemoSeed.countyCode, countyName: DemoSeed.countyName), keyFile: database.keyFile)
        }
        let counts = try loadSeed(registry, actor: database.operatorName)
        let result = JSONValue.object(CSVImport.Kind.allCases.map { ($0.rawValue, .int(Int64(counts[$0] ?? 0))) })
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}

/// Loads the demo data, reporting a refusal the contract's way.
func loadSeed(_ registry: Registry, actor: String) throws -> [CSVImport.Kind: Int] {
    do {
        return try DemoSeed.load(into: registry, operator: actor)
    } catch let error as RegistryError {
        return try refusals { () throws(RegistryError) in throw error }
    }
}
