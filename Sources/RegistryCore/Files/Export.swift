import Foundation
import GRDB

/// Streams the ledger or the roster to an ``OutputSink`` as CSV, NDJSON or xlsx, audited.
///
/// The audit entry (action `export`, with the operator, purpose, filters and the number of
/// records selected) is committed first, and the rows are then read from a snapshot that
/// holds exactly what it counted (``Registry/auditedRead(operator:count:entry:_:)``): no
/// record, revealed or not, leaves the program before its export is on record. An export
/// whose output then fails leaves that entry standing and adds an `export_failed` entry
/// with the number of records written. Rows are written as they come, so memory does not
/// grow with the ledger; sealed ID numbers are opened in Swift as each row is written
/// (never in SQL, so a sort's temporary file holds only sealed values).
public struct Export: Sendable {
    public enum Format: String, Sendable {
        case csv, ndjson
        /// A workbook with Chinese titles and values (``SpreadsheetWriter``).
        case xlsx
    }

    public var format: Format
    public var reveal: Bool
    public var purpose: String?

    /// Checks the reveal rule (`--reveal` needs `--purpose`) and the purpose's text rules.
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
        /// The head of the ledger's chain (seq and hash) when the export was taken: keep it
        /// apart from the database, and `registry check --expect-head` tells whether the
        /// chain still holds it.
        public var head: (seq: Int64, hash: String)?
    }

    /// Exports ledger events (see ``LedgerQuery``) in `seq` order.
    ///
    /// With a `consumer` name, the export starts right after where that consumer's last
    /// export ended (the beginning for a new name), and the consumer's position moves to
    /// the last event written once the output is complete and in place. A crash between
    /// the two repeats those events in the next export: events may come twice, never not
    /// at all. A consumer is bound to the area of its first export; `after`, `from` and
    /// `to` do not go with it (each could make its position pass events it never got).
    public func ledger(_ registry: Registry, area: String?, from: CivilDate?, to: CivilDate?, after: Int64?,
                       consumer: String? = nil, to sink: OutputSink, operator actor: String) throws(RegistryError) -> Summary {
        try ledger(registry, area: area, from: from, to: to, after: after, consumer: consumer, to: sink, as: .localAdmin(actor))
    }

    /// ``ledger(_:area:from:to:after:consumer:to:operator:)`` for `principal`: its role must
    /// permit exports, and only events of units in its areas are written.
    public func ledger(_ registry: Registry, area: String?, from: CivilDate?, to: CivilDate?, after: Int64?,
                       consumer: String? = nil, to sink: OutputSink, as principal: Principal) throws(RegistryError) -> Summary {
        try Authorization.check(principal, Authorization.ledgerExport)
        let actor = principal.username
        let consumer = try consumer.map { name throws(RegistryError) in try TextRules.text(name, field: "consumer", maxLength: 64) }
        if consumer != nil {
            for (field, given) in [("after", after != nil), ("from", from != nil), ("to", to != nil)] where given {
                throw RegistryError.invalid(field, "cannot be given with consumer: the consumer's position says where to start, and a date filter would move it past events it never got")
            }
        }
        let position = try consumer.map { name throws(RegistryError) in try ExportConsumer.position(of: name, area: area, in: registry) }
        let start = position?.lastSeq ?? after
        let key = try registry.requireKey()
        let disclosure = Disclosure(reveal: reveal, key: key)
        var filters: JSONValue = .null
        var query: LedgerQuery!
        var head: (seq: Int64, hash: String)?
        var summary = try run(registry, method: "ledger export", actor: actor, sink: sink, filters: { filters }) { db throws(RegistryError) in
            try storageErrors {
                query = LedgerQuery(area: try area.map { try AreaRecord.require(db, code: $0, field: "area") },
                                    from: from, to: to, after: start, scope: principal)
                let tip = try HashChain.tip(db, HashChain.ledger)
                head = tip.seq == 0 ? nil : tip
                filters = query.auditFilters
                if case var .object(pairs) = filters {
                    if let consumer { pairs.append(("consumer", .string(consumer))) }
                    if let head { pairs.append(("head", .string("\(head.seq):\(head.hash)"))) }
                    filters = .object(pairs)
                }
                return try query.count(db)
            }
        } body: { db, counted throws(RegistryError) in
            let (sql, arguments) = query.sql()
            var lastSeq: Int64?
            if try tableRows(db, sql: sql, arguments: arguments, header: LedgerEventRow.csvHeader, layout: LedgerQuery.csvLayout,
                             sheet: "台账", disclosure: disclosure, to: sink, written: &counted, each: { lastSeq = $0.int64(0) }) {
                return lastSeq
            }
            try storageErrors {
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try rows.next() {
                    let event = try LedgerEventRow(row: row, disclosure: disclosure)
                    try sink.append { JSONWriter.write(event.ndjson, into: &$0); $0 += "\n" }
                    counted += 1
                    lastSeq = event.seq
                }
            }
            return lastSeq
        }
        summary.head = head
        if let consumer {
            summary.startedAfter = start ?? 0
            if let last = summary.lastSeq {
                try ExportConsumer.advance(consumer, area: area, to: last, in: registry, operator: actor)
            }
        }
        return summary
    }

    /// Exports the roster: who lives where on `asOf`.
    public func roster(_ registry: Registry, asOf: CivilDate, area: String?, migrantOnly: Bool,
                       to sink: OutputSink, operator actor: String) throws(RegistryError) -> Summary {
        try roster(registry, asOf: asOf, area: area, migrantOnly: migrantOnly, to: sink, as: .localAdmin(actor))
    }

    /// ``roster(_:asOf:area:migrantOnly:to:operator:)`` for `principal`.
    public func roster(_ registry: Registry, asOf: CivilDate, area: String?, migrantOnly: Bool,
                       to sink: OutputSink, as principal: Principal) throws(RegistryError) -> Summary {
        try Authorization.check(principal, Authorization.ledgerExport)
        let actor = principal.username
        let key = try registry.requireKey()
        let disclosure = Disclosure(reveal: reveal, key: key)
        var filters: JSONValue = .null
        var query: RosterQuery!
        return try run(registry, method: "ledger roster", actor: actor, sink: sink, filters: { filters }) { db throws(RegistryError) in
            try storageErrors {
                query = RosterQuery(asOf: asOf, area: try area.map { try AreaRecord.require(db, code: $0, field: "area") },
                                    migrantOnly: migrantOnly, scope: principal)
                filters = query.auditFilters
                return try query.count(db, settings: registry.settings)
            }
        } body: { db, counted throws(RegistryError) in
            let (sql, arguments) = query.sql(settings: registry.settings)
            if try tableRows(db, sql: sql, arguments: arguments, header: RosterRow.csvHeader, layout: RosterQuery.csvLayout,
                             sheet: "名册", disclosure: disclosure, to: sink, written: &counted, each: { _ in }) {
                return nil
            }
            try storageErrors {
                let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                while let row = try rows.next() {
                    let person = try RosterRow(row: row, disclosure: disclosure)
                    try sink.append { JSONWriter.write(person.ndjson, into: &$0); $0 += "\n" }
                    counted += 1
                }
            }
            return nil
        }
    }

    /// Commits the audit entry (`count` selects and counts on the snapshot to be
    /// exported), streams the rows with `body` (which counts what it writes and returns the
    /// last seq), and completes the sink. On a failure after the entry: an
    /// `export_failed` entry, and the partial output abandoned.
    private func run(_ registry: Registry, method: String, actor: String, sink: OutputSink, filters: () -> JSONValue,
                     count: (Database) throws(RegistryError) -> Int,
                     body: @escaping (Database, inout Int) throws(RegistryError) -> Int64?) throws(RegistryError) -> Summary {
        var written = 0
        var entrySeq: Int64 = 0
        do {
            let lastSeq = try registry.auditedRead(operator: actor, count: count) { counted in
                AuditEntry(action: .export, purpose: purpose, method: method, filters: filters(), count: counted)
            } _: { db, seq throws(RegistryError) in
                entrySeq = seq
                return try body(db, &written)
            }
            try sink.finish()
            return Summary(count: written, lastSeq: lastSeq)
        } catch {
            sink.abandon()
            if entrySeq > 0 {
                let failure = AuditEntry(action: .exportFailed, purpose: nil, method: method,
                                         filters: .object([("export", .int(entrySeq)), ("reason", .string(error.reason.rawValue))]), count: written)
                try? registry.performGroup(operator: actor) { group throws(RegistryError) in try group.audit(failure) }
            }
            throw error
        }
    }

    /// Writes the rows as a CSV file (with its byte-order mark and header) or a workbook
    /// (sheets named `sheet`); `false` for NDJSON, which the caller writes from each row's
    /// JSON.
    private func tableRows(_ db: Database, sql: String, arguments: StatementArguments, header: [String], layout: CSVLayout,
                           sheet: String, disclosure: Disclosure, to sink: OutputSink, written: inout Int,
                           each: (RawStatement.Columns) -> Void) throws(RegistryError) -> Bool {
        switch format {
        case .csv:
            try sink.write(CSVText.byteOrderMark)
            try sink.append { CSVText.appendRow(header, to: &$0) }
            try Self.csvRows(db, sql: sql, arguments: arguments, layout: layout, disclosure: disclosure, to: sink, written: &written, each: each)
        case .xlsx:
            try Self.spreadsheetRows(db, sql: sql, arguments: arguments, sheet: sheet, header: header, layout: layout,
                                     disclosure: disclosure, to: sink, written: &written, each: each)
        case .ndjson:
            return false
        }
        return true
    }

    /// The CSV rows of an export, copied from SQLite's column text into the sink's buffer:
    /// no `Row`, no `String` per cell (the general path spent most of a million-event
    /// export building strings). The ID number is opened from its sealed column and shown
    /// as `disclosure` says, the birth date masked with it; every text cell is quoted and
    /// defused as ``CSVText`` says. `each` sees every row after it is written. Tests hold
    /// the bytes to ``LedgerEventRow/csvFields`` and ``RosterRow/csvFields``.
    static func csvRows(_ db: Database, sql: String, arguments: StatementArguments, layout: CSVLayout, disclosure: Disclosure,
                        to sink: OutputSink, written: inout Int, each: (RawStatement.Columns) -> Void) throws(RegistryError) {
        var count = 0
        defer { written += count }
        try storageErrors {
            try RawStatement(db, sql, arguments: arguments).each { row in
                try sink.appendBytes { out throws(RegistryError) in
                    for index in Int32(0)..<layout.columns {
                        if index > 0 { out.append(0x2C) }
                        switch index {
                        case layout.boolean:
                            if !row.isNull(index) { out.append(contentsOf: row.int64(index) != 0 ? Self.trueBytes : Self.falseBytes) }
                        case layout.idNumber:
                            if let cipher = row.blob(layout.idCipher), let index = row.blob(layout.idIndex) {
                                out.append(contentsOf: try disclosure.idNumber(cipher: cipher, index: index).utf8)
                            }
                        case layout.birthDate where !disclosure.reveal:
                            let date = row.bytes(index)
                            if date.count >= 4 {
                                out.append(contentsOf: date.prefix(4))
                                out.append(contentsOf: Self.maskedMonthDay)
                            }
                        default:
                            CSVText.appendField(row.bytes(index), to: &out)
                        }
                    }
                    out.append(0x0D)
                    out.append(0x0A)
                }
                count += 1
                each(row)
            }
        }
    }

    /// The rows of an export as a workbook (``SpreadsheetWriter``): the CSV's columns under
    /// their Chinese titles, text cells straight from SQLite's column text, the ID number
    /// opened and shown as `disclosure` says, the birth date a date cell when revealed (its
    /// masked form `1990-**-**` a text cell), dates as date cells, sex, yes/no and event
    /// types in Chinese. `recorded_at` stays the UTC timestamp's text.
    static func spreadsheetRows(_ db: Database, sql: String, arguments: StatementArguments, sheet: String, header: [String],
                                layout: CSVLayout, disclosure: Disclosure, to sink: OutputSink, written: inout Int,
                                each: (RawStatement.Columns) -> Void) throws(RegistryError) {
        let columns = header.enumerated().map { index, name in
            let isDate = layout.dates.contains(Int32(index)) || (disclosure.reveal && Int32(index) == layout.birthDate)
            return SpreadsheetColumn(name, isDate ? .date : .text)
        }
        let book = try SpreadsheetWriter(sheetName: sheet, columns: columns, into: sink)
        var count = 0
        defer { written += count }
        try storageErrors {
            try RawStatement(db, sql, arguments: arguments).each { row in
                for index in Int32(0)..<layout.columns where !row.isNull(index) || index == layout.idNumber {
                    let column = Int(index)
                    switch index {
                    case layout.boolean:
                        book.text(column, ColumnTitles.yesNo(row.int64(index) != 0))
                    case layout.idNumber:
                        if let cipher = row.blob(layout.idCipher), let blind = row.blob(layout.idIndex) {
                            book.text(column, try disclosure.idNumber(cipher: cipher, index: blind))
                        }
                    case layout.birthDate:
                        let date = row.bytes(index)
                        if disclosure.reveal, let day = CivilDate(isoBytes: date) {
                            book.date(column, day)
                        } else if date.count >= 4 {
                            (Array(date.prefix(4)) + Self.maskedMonthDay).withUnsafeBufferPointer { book.text(column, bytes: $0) }
                        }
                    case layout.sex:
                        book.text(column, ColumnTitles.sex[row.string(index)] ?? row.string(index))
                    case layout.eventType:
                        book.text(column, ColumnTitles.eventType[row.string(index)] ?? row.string(index))
                    case _ where layout.dates.contains(index):
                        if let day = CivilDate(isoBytes: row.bytes(index)) { book.date(column, day) } else { book.text(column, bytes: row.bytes(index)) }
                    default:
                        if let text = row.cString(index) { book.text(column, cString: text) }
                    }
                }
                try book.endRow()
                count += 1
                each(row)
            }
        }
        try book.finish()
    }

    private static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8), maskedMonthDay = Array("-**-**".utf8)
}

extension Registry.Group {
    func audit(_ entry: AuditEntry) throws(RegistryError) {
        try storageErrors { try entry.append(db, actor: actor, at: Timestamp.now(), key: registry.key) }
    }
}
