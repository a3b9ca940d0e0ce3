import GRDB

/// The range of ledger events one import wrote (`import_run`): an import is one
/// transaction, so its events are one unbroken range of seq. `metrics.timeliness` leaves
/// them out: they were recorded elsewhere first, and their `recordedAt` says when they were
/// imported, not when the clerk learned of them.
enum ImportRun {
    /// The ledger's last seq before the import writes anything.
    static func start(in group: Registry.Group) throws(RegistryError) -> Int64 {
        try storageErrors { try HashChain.tip(group.db, HashChain.ledger).seq }
    }

    /// Records the events written since `start` (nothing when there were none).
    static func finish(_ kind: CSVImport.Kind, since start: Int64, in group: Registry.Group) throws(RegistryError) {
        try storageErrors {
            let last = try HashChain.tip(group.db, HashChain.ledger).seq
            guard last > start else { return }
            try group.db.execute(sql: "INSERT INTO import_run (first_seq, last_seq, at, operator, kind) VALUES (?, ?, ?, ?, ?)",
                                 arguments: [start + 1, last, group.now, group.actor, kind.rawValue])
        }
    }

    /// The SQL condition that an event (aliased `alias`) was not written by an import.
    static func notImported(alias: String) -> String {
        "NOT EXISTS (SELECT 1 FROM import_run i WHERE i.first_seq = (SELECT max(first_seq) FROM import_run WHERE first_seq <= \(alias).seq) AND \(alias).seq <= i.last_seq)"
    }
}
