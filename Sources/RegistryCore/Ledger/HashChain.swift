import Crypto
import Foundation
import GRDB

/// The tamper-evident chains of the ledger and the audit trail.
///
/// Each row carries `hash` = HMAC-SHA256 (hex), under the chain key derived from the
/// registry's key (``RegistryKey``), of the previous row's hash, a line feed, and the row's
/// values as a compact JSON array in column order (`seq` first). Changing, removing or
/// inserting any row behind the program's back breaks every link after it; `registry
/// check` walks the chain and names the first row whose hash does not follow. Without the
/// key nobody can compute the links again over edited rows (schema versions 2 to 5 used
/// plain SHA-256, which anyone could recompute: ``Table/keyed`` is false for those, kept
/// to verify an old chain before migrating it). What a chain cannot see is its own newest
/// rows cut off: that is why `registry check` prints the head (seq and hash) to be kept
/// elsewhere, and `--expect-head` checks a kept head is still in the chain.
///
/// A link of the ledger, as bytes (see `ChainGoldenTests`):
///
///     <previous hash>\n[1,"unit_added","2025-01-05",null,null,null,null,null,null,"U1",…]
enum HashChain {
    /// A chained table and the columns its hash covers, in order.
    struct Table: Sendable {
        var name: String
        var columns: [String]
        /// Columns holding integers (all others hold text or NULL).
        var integerColumns: Set<String>
        /// HMAC under the chain key (schema 6 on), or plain SHA-256 (schemas 2 to 5).
        var keyed: Bool
        /// The last row's seq and hash. max(seq) reads the rightmost entry of the table's
        /// b-tree: no scan.
        let tipSQL: String

        init(name: String, columns: [String], integerColumns: Set<String>, keyed: Bool = true) {
            self.name = name
            self.columns = columns
            self.integerColumns = integerColumns
            self.keyed = keyed
            tipSQL = "SELECT seq, hash FROM \(name) WHERE seq = (SELECT max(seq) FROM \(name))"
        }
    }

    static let ledger = Table(
        name: "ledger_event",
        columns: ["seq", "type", "date", "resident", "name", "sex", "birth_date", "hukou_code", "migrant",
                  "unit_id", "address", "grid", "community", "subdistrict", "operator", "recorded_at"],
        integerColumns: ["seq", "resident", "migrant"])

    static let audit = Table(
        name: "audit_entry",
        columns: ["seq", "at", "operator", "action", "purpose", "method", "filters", "count", "resident"],
        integerColumns: ["seq", "count", "resident"])

    /// The hash before the first row.
    static let genesis = String(repeating: "0", count: 64)

    /// The text a link covers: `previous`, a line feed, and `JSONWriter`'s compact JSON of
    /// the values array.
    static func linkText(previous: String, values: [JSONValue]) -> String {
        String(decoding: linkBytes(previous: previous, values: values), as: UTF8.self)
    }

    /// ``linkText(previous:values:)`` as UTF-8 bytes, written straight into one buffer (every
    /// registration links a ledger event on the writing thread).
    static func linkBytes(previous: String, values: [JSONValue]) -> [UInt8] {
        var text = LinkText(previous: previous)
        for value in values { text.append(value) }
        return text.close()
    }

    /// ``linkText(previous:values:)`` written value by value, for a writer that has its
    /// values one at a time (``LedgerEvent``, which binds each to its INSERT as it goes):
    /// the text's framing is written here only.
    struct LinkText {
        private var bytes: [UInt8] = []
        private var count = 0

        init(previous: String) {
            bytes.reserveCapacity(512)
            bytes.append(contentsOf: previous.utf8)
            bytes.append(contentsOf: "\n[".utf8)
        }

        private mutating func separate() {
            if count > 0 { bytes.append(UInt8(ascii: ",")) }
            count += 1
        }

        mutating func append(_ value: JSONValue) {
            separate()
            JSONWriter.write(value, into: &bytes)
        }

        /// A text column's value, `null` when absent.
        mutating func append(text value: String?) {
            separate()
            if let value { JSONWriter.writeString(value, into: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
        }

        /// An integer column's value, `null` when absent.
        mutating func append(integer value: Int64?) {
            separate()
            if let value { JSONWriter.writeInteger(value, into: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
        }

        /// Closes the array and gives the text; nothing is appended after.
        mutating func close() -> [UInt8] {
            bytes.append(UInt8(ascii: "]"))
            return bytes
        }
    }

    /// The hash of a row with `values` (in the table's column order) after `previous`:
    /// HMAC-SHA256 under `key`'s chain key, or, for a table of an old schema (`key` nil),
    /// plain SHA-256.
    static func link(previous: String, values: [JSONValue], key: RegistryKey?) -> String {
        link(linkBytes: linkBytes(previous: previous, values: values), key: key)
    }

    /// The hash of a link whose text (``linkText(previous:values:)``) is `bytes`.
    static func link(linkBytes bytes: [UInt8], key: RegistryKey?) -> String {
        if let key { return key.chainMAC(bytes) }
        var hasher = SHA256()
        hasher.update(data: bytes)
        return Hex.string(hasher.finalize())
    }

    /// The key a table's links need: `nil` for a plain table; `chain_key_missing` when a
    /// keyed table has no key to link with.
    static func linkKey(_ table: Table, _ key: RegistryKey?) throws(RegistryError) -> RegistryKey? {
        guard table.keyed else { return nil }
        guard let key else {
            throw RegistryError(.internalError, reason: .keyMissing, field: "keyFile",
                                message: "the \(table.name) chain is keyed with the registry's key, and there is no key file")
        }
        return key
    }

    /// The ends of both chains as one transaction has written them, so that each append
    /// need not read them back. Forgotten whenever a request fails (its appends may have
    /// been rolled back); then read again from the table.
    final class Tips {
        var ledger: (seq: Int64, hash: String)?
        var audit: (seq: Int64, hash: String)?

        func forget() {
            ledger = nil
            audit = nil
        }
    }

    /// The last row's `seq` and hash (0 and ``genesis`` for an empty table).
    static func tip(_ db: Database, _ table: Table) throws -> (seq: Int64, hash: String) {
        let statement = try RawStatement(db, table.tipSQL)
        return try statement.first { ($0.int64(0), $0.text(1) ?? "") } ?? (0, genesis)
    }

    /// The values of a row as the hash covers them.
    static func values(of row: Row, _ table: Table) -> [JSONValue] {
        table.columns.enumerated().map { index, column in
            if row.hasNull(atIndex: index) { return .null }
            if table.integerColumns.contains(column) { return .int(row[index]) }
            return .string(row[index])
        }
    }

    /// What a walk along a chain found.
    struct Verdict: Sendable {
        var rows: Int
        /// The first row whose hash does not follow from the one before (or is missing).
        var firstBroken: Int64?
        /// The last row's seq and hash: the head to keep outside the database.
        var head: (seq: Int64, hash: String)?
        /// False when the chain could not be walked for want of the key.
        var verified = true
    }

    /// Walks the whole chain in `seq` order. Without the key, a keyed chain is counted but
    /// not verified.
    static func verify(_ db: Database, _ table: Table, key: RegistryKey?) throws -> Verdict {
        if table.keyed && key == nil {
            let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0
            let tip = try self.tip(db, table)
            return Verdict(rows: rows, firstBroken: nil, head: rows == 0 ? nil : tip, verified: false)
        }
        let linkKey = table.keyed ? key : nil
        var previous = genesis
        var rows = 0
        var last: Int64 = 0
        let cursor = try Row.fetchCursor(db, sql: "SELECT \(table.columns.joined(separator: ", ")), hash FROM \(table.name) ORDER BY seq")
        while let row = try cursor.next() {
            rows += 1
            let stored: String? = row[table.columns.count]
            let expected = link(previous: previous, values: values(of: row, table), key: linkKey)
            guard stored == expected else { return Verdict(rows: rows, firstBroken: row[0], head: nil) }
            previous = expected
            last = row[0]
        }
        return Verdict(rows: rows, firstBroken: nil, head: rows == 0 ? nil : (last, previous))
    }

    /// Computes the hash of every row again, in order (migrating a database whose chain
    /// was made by an older schema, after it was verified).
    static func relink(_ db: Database, _ table: Table, key: RegistryKey?) throws {
        let linkKey = try linkKey(table, key)
        var previous = genesis
        // A cursor, not an array: a million events must not be held in memory. Updating the
        // hash of the row just read does not move it in the rowid order the cursor walks.
        let rows = try Row.fetchCursor(db, sql: "SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) ORDER BY seq")
        while let row = try rows.next() {
            let hash = link(previous: previous, values: values(of: row, table), key: linkKey)
            try db.cachedStatement(sql: "UPDATE \(table.name) SET hash = ? WHERE seq = ?").execute(arguments: [hash, row[0] as Int64])
            previous = hash
        }
    }

    /// Whether the row `seq` of the chain has the hash `hash`: a head kept outside the
    /// database is still in the chain (nothing from it back was cut off or rewritten).
    static func contains(_ db: Database, _ table: Table, seq: Int64, hash: String) throws -> Bool {
        try String.fetchOne(db, sql: "SELECT hash FROM \(table.name) WHERE seq = ?", arguments: [seq]) == hash
    }
}
