import GRDB

/// Streams the ledger or the roster to an ``OutputSink`` as CSV or NDJSON, and records
/// the export in the audit trail.
///
/// Rows are read from one snapshot (a read transaction, which does not block writers) and
/// written as they come, so memory does not grow with the ledger. The audit entry (action
/// `export`, with the operator, purpose, filters and the number of records) is written
/// after the rows, and the file is moved into place only after that entry is committed.
public struct Export {
    public enum Format: String, Sendable {
        case csv, ndjson
    }

    public var format: Format
    public var reveal: Bool
    public var purpose: String?

    /// Checks the reveal rule (`--reveal` needs `--purpose`).
    public init(format: Format, reveal: Bool, purpose: String?) throws(RegistryError) {
        let checked = try Reveal(reveal: reveal, purpose: purpose)
        self.format = format
        self.reveal = checked.reveal
        self.purpose = checked.purpose
    }

    /// The summary of a finished export.
    public struct Summary: Sendable {
        /// How many records were written.
        public var count: Int
        /// The `seq` of the last event written: where the next incremental export starts
        /// (pass it as `--after`). `nil` for a roster, or when nothing was written.
        public var lastSeq: Int64?
        /// For a named consumer: the `seq` its export started after.
        public var startedAfter: Int64?
    }

    /// Exports ledger events (see ``LedgerQuery``) in `seq` order.
    ///
    /// With a `consumer` name, the export starts right after where that consumer's last
    /// export ended (the beginning for a new name), and the consumer's position moves to
    /// the last event written once the output is complete and in place. A crash between
    /// the two repeats those events in the next export: events may come twice, never not
    /// at all. `after` and `consumer` do not go together.
    public func ledger(_ registry: Registry, area: String?, from: CivilDate?, to: CivilDate?, after: Int64?,
                       consumer: String? = nil, to sink: OutputSink, operator actor: String) throws(RegistryError) -> Summary {
        let consumer = try consumer.map { name throws(RegistryError) in try TextRules.text(name, field: "consumer", maxLength: 64) }
        if consumer != nil && after != nil {
            throw RegistryError.invalid("after", "cannot be given with consumer, which knows where to start")
        }
        let start = try consumer.map { name throws(RegistryError) in try ExportConsumer.position(of: name, in: registry) } ?? after
        var filters: JSONValue = .null
        try registry.streamingReads()
        var summary = try registry.read { db in
            let query = LedgerQuery(area: try area.map { try AreaRecord.require(db, code: $0, field: "area") },
                                    from: from, to: to, after: start, reveal: reveal)
            filters = query.auditFilters
            if let consumer, case var .object(pairs) = filters {
                pairs.append(("consumer", .string(consumer)))
                filters = .object(pairs)
            }
            let (sql, arguments) = query.sql()
            if format == .csv {
                try sink.write(CSVText.byteOrderMark)
                try sink.append { CSVText.appendRow(LedgerEventRow.csvHeader, to: &$0) }
            }
            if format == .csv && !reveal {
                var lastSeq: Int64?
                let count = try Self.csvRows(db, sql: sql, arguments: arguments, columns: LedgerEventRow.csvHeader.count,
                                             booleanColumn: 8, to: sink) { lastSeq = $0.int64(0) }
                return Summary(count: count, lastSeq: lastSeq)
            }
            var count = 0
            var lastSeq: Int64?
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                let event = LedgerEventRow(row: row)
                try write(csv: event.csvFields(reveal: reveal), json: { event.ndjson(reveal: reveal) }, to: sink)
                count += 1
                lastSeq = event.seq
            }
            return Summary(count: count, lastSeq: lastSeq)
        }
        try finish(registry, method: "ledger export", filters: filters, summary: summary, sink: sink, actor: actor)
        if let consumer {
            summary.startedAfter = start
            if let last = summary.lastSeq {
                try ExportConsumer.advance(consumer, to: last, in: registry, operator: actor)
            }
        }
        return summary
    }

    /// Exports the roster: who lives where on `asOf`.
    public func roster(_ registry: Registry, asOf: CivilDate, area: String?, migrantOnly: Bool,
                       to sink: OutputSink, operator actor: String) throws(RegistryError) -> Summary {
        var filters: JSONValue = .null
        try registry.streamingReads()
        let summary = try registry.read { db in
            let query = RosterQuery(asOf: asOf, area: try area.map { try AreaRecord.require(db, code: $0, field: "area") },
                                    migrantOnly: migrantOnly, reveal: reveal)
            filters = query.auditFilters
            let (sql, arguments) = query.sql(settings: registry.settings)
            if format == .csv {
                try sink.write(CSVText.byteOrderMark)
                try sink.append { CSVText.appendRow(RosterRow.csvHeader, to: &$0) }
            }
            if format == .csv && !reveal {
                let count = try Self.csvRows(db, sql: sql, arguments: arguments, columns: RosterRow.csvHeader.count,
                                             booleanColumn: 5, to: sink) { _ in }
                return Summary(count: count, lastSeq: nil)
            }
            var count = 0
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                let person = RosterRow(row: row)
                try write(csv: person.csvFields(reveal: reveal), json: { person.ndjson(reveal: reveal) }, to: sink)
                count += 1
            }
            return Summary(count: count, lastSeq: nil)
        }
        try finish(registry, method: "ledger roster", filters: filters, summary: summary, sink: sink, actor: actor)
        return summary
    }

    /// The CSV rows of an export without a reveal, copied from SQLite's column text into
    /// the sink's buffer: no `Row`, no `String` per cell (the general path spent most of a
    /// million-event export building strings). The statement's first `columns` columns are
    /// the CSV's, in its header's order (``LedgerQuery/columns``, ``RosterQuery``);
    /// `booleanColumn` (0 or 1) is written as `false` or `true`, the masked ID number as it
    /// is stored. `each` sees every row after it is written. Tests hold the bytes to
    /// ``LedgerEventRow/csvFields(reveal:)`` and ``RosterRow/csvFields(reveal:)``.
    static func csvRows(_ db: Database, sql: String, arguments: StatementArguments, columns: Int, booleanColumn: Int32,
                        to sink: OutputSink, each: (RawStatement.Columns) -> Void) throws -> Int {
        var count = 0
        try RawStatement(db, sql, arguments: arguments).each { row in
            try sink.appendBytes { out in
                for index in Int32(0)..<Int32(columns) {
                    if index > 0 { out.append(0x2C) }
                    if index == booleanColumn {
                        if !row.isNull(index) { out.append(contentsOf: row.int64(index) != 0 ? Self.trueBytes : Self.falseBytes) }
                    } else {
                        CSVText.appendField(row.bytes(index), to: &out)
                    }
                }
                out.append(0x0D)
                out.append(0x0A)
            }
            count += 1
            each(row)
        }
        return count
    }

    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)

    private func write(csv: @autoclosure () -> [String], json: () -> JSONValue, to sink: OutputSink) throws(RegistryError) {
        switch format {
        case .csv:
            let fields = csv()
            try sink.append { CSVText.appendRow(fields, to: &$0) }
        case .ndjson:
            let value = json()
            try sink.append { JSONWriter.write(value, into: &$0); $0 += "\n" }
        }
    }

    private func finish(_ registry: Registry, method: String, filters: JSONValue, summary: Summary,
                        sink: OutputSink, actor: String) throws(RegistryError) {
        try sink.flush()
        try registry.performGroup(operator: actor) { group throws(RegistryError) in
            try group.audit(AuditEntry(action: .export, purpose: purpose, method: method, filters: filters, count: summary.count))
        }
        try sink.finish()
    }
}

extension Registry.Group {
    func audit(_ entry: AuditEntry) throws(RegistryError) {
        try storageErrors { try entry.append(db, actor: actor, at: Timestamp.now()) }
    }
}
