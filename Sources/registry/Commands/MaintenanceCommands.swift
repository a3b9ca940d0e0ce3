import ArgumentParser
import Foundation
import RegistryCore

/// `registry check`: integrity, foreign keys, the keyed hash chains and their heads.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check the database: SQLite's integrity and foreign keys, the ledger's and audit trail's keyed hash chains, the tables against the ledger, the export consumers and the maintained population counts.",
        discussion: "Prints each chain's head as SEQ:HASH: keep the ledger's somewhere the database is not (a printout, a mail to the police liaison), and pass it later as --expect-head: the check then fails if that head is no longer in the chain (the newest events were cut off or rewritten). Exit status 1 when anything is wrong, naming the first broken link of a chain.")
    @Option(help: "A ledger head printed by an earlier check or export (SEQ:HASH) that must still be in the chain.")
    var expectHead: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let expectHead, ChainHead(expectHead) == nil {
            throw ValidationError("--expect-head must be SEQ:HASH as `registry check` prints it (a positive seq, 64 lower-case hex digits)")
        }
    }

    func run() throws {
        let registry = try database.open()
        let report = try refusals { () throws(RegistryError) in try registry.check(expectedHead: expectHead.flatMap(ChainHead.init)) }
        emit(output.json ? JSONWriter.string(report.json) : ResultText.render(report.json))
        if !report.isSound {
            FileHandle.standardError.write(Data("registry: the check found problems (check_failed)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `registry recount`: the population counts made again from the residences.
struct RecountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recount", abstract: "Count the people living now and on the first day of each month again from the residences.",
        discussion: "The repair for population counts that `registry check` finds wrong, and how a registry filled request by request (rather than by `registry import`) gets the monthly counts with which `analysis demographics` answers for any day quickly. Writers wait while it runs (about 10 s at a million residents).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try database.open()
        let months = try refusals { () throws(RegistryError) in try registry.recountPopulation(operator: database.operatorName) }
        let result = JSONValue.object([("months", .int(Int64(months)))])
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}

/// `registry backup FILE`: an online, consistent copy.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the database to a new file while others may be writing (SQLite's online backup).")
    @Argument(help: "The new file.") var file: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try database.open()
        try refusals { () throws(RegistryError) in try registry.backup(to: file, operator: database.operatorName) }
        FileHandle.standardError.write(Data("registry: the backup's ID numbers and phones are sealed with the key in \(registry.keyFile): keep a copy of that key, apart from the backup (name it with --key-file when opening the backup)\n".utf8))
        let result = JSONValue.object([("backup", .string(file))])
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}
