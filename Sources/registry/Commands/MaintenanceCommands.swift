import ArgumentParser
import Foundation
import RegistryCore

/// `registry check`: integrity, foreign keys and the hash chains.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Check the database: SQLite's integrity and foreign keys, the ledger's and audit trail's hash chains, and the maintained population counts.",
        discussion: "Exit status 1 when anything is wrong, naming the first broken link of a chain.")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let registry = try database.open()
        let report = try refusals { () throws(RegistryError) in try registry.check() }
        emit(output.json ? JSONWriter.string(report.json) : ResultText.render(report.json))
        if !report.isSound {
            FileHandle.standardError.write(Data("registry: the check found problems (check_failed)\n".utf8))
            throw ExitCode.failure
        }
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
        try refusals { () throws(RegistryError) in try registry.backup(to: file) }
        FileHandle.standardError.write(Data("registry: the backup's ID numbers and phones are sealed with the key in \(registry.keyFile): keep a copy of that key, apart from the backup (name it with --key-file when opening the backup)\n".utf8))
        let result = JSONValue.object([("backup", .string(file))])
        emit(output.json ? JSONWriter.string(result) : ResultText.render(result))
    }
}
