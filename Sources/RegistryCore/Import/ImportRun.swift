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

    /// The ranges of seq (inclusive) that no import wrote, up to the ledger's last event:
    /// the gaps between the import runs. Reading an imported county's ledger through them
    /// reads the few events written one by one, not every event with a test each
    /// (`metrics.timeliness` at ten million residents: 4.9 s).
    static func gaps(_ db: Database) throws -> [ClosedRange<Int64>] {
        let last = try HashChain.tip(db, HashChain.ledger).seq
        var gaps: [ClosedRange<Int64>] = []
        var next: Int64 = 1
        for run in try Row.fetchAll(db, sql: "SELECT first_seq, last_seq FROM import_run ORDER BY first_seq") {
            let first: Int64 = run[0], end: Int64 = run[1]
            if first > next { gaps.append(next...(first - 1)) }
            next = max(next, end + 1)
        }
        if last >= next { gaps.append(next...last) }
        return gaps
    }
}
