import Foundation
import GRDB

/// What `registry check` found: SQLite's own checks, the two hash chains, and whether the
/// maintained population counts agree with the residences.
public struct IntegrityReport: JSONRepresentable {
    /// `ok`, or what `PRAGMA integrity_check` reported.
    public var integrity: [String]
    /// Rows that point at a row that does not exist (`PRAGMA foreign_key_check`).
    public var foreignKeyViolations: Int
    var ledger: HashChain.Verdict
    var audit: HashChain.Verdict
    /// Rows of the maintained `population` counts that a recount does not give.
    public var populationMismatches: Int

    /// Whether everything held.
    public var isSound: Bool {
        integrity == ["ok"] && foreignKeyViolations == 0 && ledger.firstBroken == nil && audit.firstBroken == nil
            && populationMismatches == 0
    }

    public var json: JSONValue {
        func chain(_ verdict: HashChain.Verdict) -> JSONValue {
            .object([("rows", .int(Int64(verdict.rows))), ("firstBrokenSeq", .optional(verdict.firstBroken))])
        }
        return .object([
            ("sound", .bool(isSound)), ("integrity", .string(integrity.joined(separator: "; "))),
            ("foreignKeyViolations", .int(Int64(foreignKeyViolations))),
            ("ledger", chain(ledger)), ("audit", chain(audit)), ("populationMismatches", .int(Int64(populationMismatches))),
        ])
    }
}

extension Registry {
    /// Runs `integrity_check` and `foreign_key_check`, walks the ledger's and the audit
    /// trail's hash chains, reporting the first broken link of each, and recounts the
    /// maintained population counts. Like an export, it leaves this connection reading
    /// with a small page cache (``streamingReads()``).
    public func check() throws(RegistryError) -> IntegrityReport {
        // The recount sorts three rows per person: on disk, not in memory (at a million
        // residents 27 MB instead of 268 MB, and no slower).
        try streamingReads()
        return try read { db in
            IntegrityReport(
                integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                foreignKeyViolations: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
                ledger: try HashChain.verify(db, HashChain.ledger),
                audit: try HashChain.verify(db, HashChain.audit),
                populationMismatches: try PopulationTally.mismatchedRows(db))
        }
    }

    /// Copies the database to a new file at `path` (mode 0600) with SQLite's online backup:
    /// a consistent snapshot, while other connections go on writing.
    /// - Throws: `exists` when a file is there already.
    public func backup(to path: String) throws(RegistryError) {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw RegistryError.conflict("exists", field: "file", "\(path) exists; a backup is written only to a new file")
        }
        try storageErrors {
            let previous = umask(0o077)
            defer { umask(previous) }
            let destination = try DatabaseQueue(path: path)
            try queue.backup(to: destination)
            try destination.close()
        }
    }
}

extension Registry {
    /// Copies every page of the WAL back into the database file and empties the WAL.
    func checkpoint() throws(RegistryError) {
        try storageErrors { try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } }
    }
}
