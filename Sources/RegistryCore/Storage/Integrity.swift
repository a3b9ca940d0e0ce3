import Foundation
import GRDB

/// What `registry check` found: SQLite's own checks, the two keyed hash chains and their
/// heads, whether the tables agree with what the ledger says happened, the export
/// consumers' positions, and whether the maintained population counts agree with the
/// residences.
public struct IntegrityReport: JSONRepresentable {
    /// `ok`, or what `PRAGMA integrity_check` reported.
    public var integrity: [String]
    /// Rows that point at a row that does not exist (`PRAGMA foreign_key_check`).
    public var foreignKeyViolations: Int
    var ledger: HashChain.Verdict
    var audit: HashChain.Verdict
    /// Rows of the maintained `population` counts that a recount does not give.
    public var populationMismatches: Int
    /// Rows of the maintained rental counts (`rental_count_day`, `rental_count_month`) that
    /// a recount from the units does not give.
    public var rentalCountMismatches: Int
    /// Residences, people and units whose stored state is not what the ledger's events
    /// say (a residence edited, added or removed behind the registry's back; a name or
    /// hukou code changed without an event; a unit's dates moved). `nil` without the key
    /// (the ledger's chain, which vouches for the events, cannot be verified then).
    public var ledgerMismatches: [String]?
    /// Named export consumers whose stored position does not carry its own HMAC.
    public var alteredConsumers: [String]?
    /// A head (seq and hash) kept outside the database and given to `--expect-head`: `true`
    /// when the ledger's chain still holds it, `false` when that row is gone or changed
    /// (the newest events were cut off or rewritten). `nil` when none was given.
    public var expectedHeadFound: Bool?

    /// Whether everything held that could be checked (chains need the key).
    public var isSound: Bool {
        integrity == ["ok"] && foreignKeyViolations == 0 && ledger.firstBroken == nil && audit.firstBroken == nil
            && populationMismatches == 0 && rentalCountMismatches == 0 && (ledgerMismatches ?? []).isEmpty && (alteredConsumers ?? []).isEmpty
            && expectedHeadFound != false
    }

    public var json: JSONValue {
        func chain(_ verdict: HashChain.Verdict) -> JSONValue {
            .object([("rows", .int(Int64(verdict.rows))), ("firstBrokenSeq", .optional(verdict.firstBroken)),
                     ("verified", .bool(verdict.verified)),
                     ("head", .optional(verdict.head.map { "\($0.seq):\($0.hash)" }))])
        }
        var pairs: [(String, JSONValue)] = [
            ("sound", .bool(isSound)), ("integrity", .string(integrity.joined(separator: "; "))),
            ("foreignKeyViolations", .int(Int64(foreignKeyViolations))),
            ("ledger", chain(ledger)), ("audit", chain(audit)), ("populationMismatches", .int(Int64(populationMismatches))),
            ("rentalCountMismatches", .int(Int64(rentalCountMismatches))),
            ("ledgerMismatches", ledgerMismatches.map { .array($0.map(JSONValue.string)) } ?? .null),
            ("alteredConsumers", alteredConsumers.map { .array($0.map(JSONValue.string)) } ?? .null),
        ]
        if let expectedHeadFound { pairs.append(("expectedHeadFound", .bool(expectedHeadFound))) }
        return .object(pairs)
    }
}

/// A chain head kept outside the database: `SEQ:HASH`, as `registry check` prints it.
public struct ChainHead: Sendable, Equatable {
    public var seq: Int64
    public var hash: String

    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let seq = Int64(parts[0]), seq > 0, parts[1].count == 64,
              parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        self.seq = seq
        self.hash = String(parts[1])
    }
}

extension Registry {
    /// Runs `integrity_check` and `foreign_key_check`, walks the ledger's and the audit
    /// trail's keyed chains (reporting the first broken link of each, and each head),
    /// compares residences, people and units with the ledger's events, verifies the
    /// export consumers, recounts the maintained population counts, and, given
    /// `expectedHead`, checks that the ledger's chain still holds it. Without the key, the
    /// chains, the comparison and the consumers are reported as not verified.
    public func check(expectedHead: ChainHead? = nil) throws(RegistryError) -> IntegrityReport {
        let key = self.key
        return try read { db in
            let ledger = try HashChain.verify(db, HashChain.ledger, key: key)
            return IntegrityReport(
                integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                foreignKeyViolations: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
                ledger: ledger,
                audit: try HashChain.verify(db, HashChain.audit, key: key),
                populationMismatches: try PopulationTally.mismatchedRows(db) + PopulationMonths.mismatches(db),
                rentalCountMismatches: try RentalCounts.mismatches(db),
                ledgerMismatches: key == nil ? nil : try LedgerReconciliation.mismatches(db),
                alteredConsumers: try key.map { try ExportConsumer.altered(db, key: $0) },
                expectedHeadFound: try expectedHead.map { try HashChain.contains(db, HashChain.ledger, seq: $0.seq, hash: $0.hash) })
        }
    }

    /// Copies the database to a new file at `path` (mode 0600) with SQLite's online backup:
    /// a consistent snapshot, while other connections go on writing. The copy is recorded
    /// in the audit trail (action `backup`) before it is made: it holds everyone's sealed
    /// personal data.
    /// - Throws: `exists` when anything is at `path` already (a file, or a symbolic link,
    ///   which SQLite would follow).
    public func backup(to path: String, operator actor: String) throws(RegistryError) {
        var info = stat()
        guard lstat(path, &info) != 0 else {
            throw RegistryError.conflict(.exists, field: "file", "\(path) exists; a backup is written only to a new file")
        }
        try performGroup(operator: actor) { group throws(RegistryError) in
            try group.audit(AuditEntry(action: .backup, purpose: nil, method: "backup",
                                       filters: .object([("file", .string(path))]), count: 0))
        }
        try storageErrors {
            let previous = umask(0o077)
            defer { umask(previous) }
            let destination = try DatabaseQueue(path: path)
            try pool.backup(to: destination)
            try destination.close()
        }
    }
}

extension Registry {
    /// Copies every page of the WAL back into the database file and empties the WAL.
    func checkpoint() throws(RegistryError) {
        try storageErrors { try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } }
    }
}

/// The comparison of the tables that change (residences, people, units) with the
/// append-only ledger, whose keyed chain vouches for it: every residence opens with a
/// `move_in` event and closes with a `move_out`, a person's latest event carries their
/// current name, sex, birth date and hukou code, and a unit's dates are those of its
/// `unit_added`, `unit_registered` and `unit_closed` events. Set-based (EXCEPT both ways),
/// so it sorts rather than searches: at a million residents a few seconds, on disk.
enum LedgerReconciliation {
    /// Each check: a name for the report, the state's rows, the ledger's rows.
    private static let checks: [(String, String, String)] = [
        ("residence moved_in",
         "SELECT x.resident, u.unit_id, x.moved_in FROM residence x JOIN unit u ON u.id = x.unit",
         "SELECT resident, unit_id, date FROM ledger_event WHERE type = 'move_in'"),
        ("residence moved_out",
         "SELECT x.resident, u.unit_id, x.moved_out FROM residence x JOIN unit u ON u.id = x.unit WHERE x.moved_out IS NOT NULL",
         "SELECT resident, unit_id, date FROM ledger_event WHERE type = 'move_out'"),
        ("resident profile",
         "SELECT id, name, sex, birth_date, hukou_code FROM resident",
         """
         SELECT e.resident, e.name, e.sex, e.birth_date, e.hukou_code FROM ledger_event e
         JOIN (SELECT resident, max(seq) AS seq FROM ledger_event WHERE resident IS NOT NULL GROUP BY resident) l ON l.seq = e.seq
         """),
        ("unit added",
         "SELECT unit_id, discovered_on, address, grid FROM unit",
         "SELECT unit_id, date, address, grid FROM ledger_event WHERE type = 'unit_added'"),
        ("unit registered",
         "SELECT unit_id, registered_on FROM unit WHERE registered_on IS NOT NULL",
         "SELECT unit_id, date FROM ledger_event WHERE type = 'unit_registered'"),
        ("unit closed",
         "SELECT unit_id, closed_on FROM unit WHERE closed_on IS NOT NULL",
         "SELECT unit_id, date FROM ledger_event WHERE type = 'unit_closed'"),
    ]

    /// What disagrees, as `residence moved_in: 2 rows not in the ledger, 1 event without a row`.
    static func mismatches(_ db: Database) throws -> [String] {
        var found: [String] = []
        for (name, state, ledger) in checks {
            let extra = try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(state) EXCEPT \(ledger))") ?? 0
            let missing = try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(ledger) EXCEPT \(state))") ?? 0
            if extra > 0 || missing > 0 {
                found.append("\(name): \(extra) rows not as the ledger says, \(missing) events without such a row")
            }
        }
        return found
    }
}

extension Registry {
    /// Counts the people living now and on the first day of every month again from the
    /// residences (`population`, `population_birthday`, `population_month`), and the rental
    /// units known and registered per area and day and per grid and month from the units
    /// (``RentalCounts``): the repair for counts `check` found wrong, and how a registry
    /// filled request by request gets its months (they are otherwise built by the migration
    /// that made them and by a first import). One transaction; writers wait for it (about
    /// 4.5 s at a million residents for the people; about 5 s for 575,000 units). The
    /// people's counts sort nothing through SQLite (``PopulationMonths/Sweep`` counts and
    /// orders in its own arrays); the rental counts group the units' changes by grid and day
    /// with SQLite's sorter, under a small page cache (the migration at 10M: 80 MB peak).
    /// - Returns: how many months of people's counts were built.
    public func recountPopulation(operator actor: String) throws(RegistryError) -> Int {
        try performGroup(operator: actor) { group throws(RegistryError) -> Int in
            try storageErrors {
                try PopulationMonths.recountAll(group.db, through: group.today)
                try RentalCounts.recountAll(group.db, through: group.today)
                return try Int.fetchOne(group.db, sql: "SELECT count(*) FROM population_month_taken") ?? 0
            }
        }
    }
}
