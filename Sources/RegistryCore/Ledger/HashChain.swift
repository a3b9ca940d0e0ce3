import Crypto
import Foundation
import GRDB

/// The tamper-evident chains of the ledger and the audit trail.
///
/// Each row carries `hash` = SHA-256 (hex) of the previous row's hash, a line feed, and the
/// row's values as a compact JSON array in column order (`seq` first). Changing, removing or
/// inserting any row behind the program's back breaks every link after it; `registry
/// check` walks the chain and names the first row whose hash does not follow.
enum HashChain {
    /// A chained table and the columns its hash covers, in order.
    struct Table: Sendable {
        var name: String
        var columns: [String]
        /// Columns holding integers (all others hold text or NULL).
        var integerColumns: Set<String>
        /// The last row's seq and hash. max(seq) reads the rightmost entry of the table's
        /// b-tree: no scan.
        let tipSQL: String

        init(name: String, columns: [String], integerColumns: Set<String>) {
            self.name = name
            self.columns = columns
            self.integerColumns = integerColumns
            tipSQL = "SELECT seq, hash FROM \(name) WHERE seq = (SELECT max(seq) FROM \(name))"
        }
    }

    static let ledger = Table(
        name: "ledger_event",
        columns: ["seq", "type", "date", "resident", "id_masked", "name", "sex", "birth_date", "hukou_code", "migrant",
                  "unit_id", "address", "grid", "community", "subdistrict", "operator", "recorded_at"],
        integerColumns: ["seq", "resident", "migrant"])

    static let audit = Table(
        name: "audit_entry",
        columns: ["seq", "at", "operator", "action", "purpose", "method", "filters", "count"],
        integerColumns: ["seq", "count"])

    /// The hash before the first row.
    static let genesis = String(repeating: "0", count: 64)

    /// The hash of a row with `values` (in the table's column order) after `previous`: of
    /// `previous`, a line feed, and `JSONWriter`'s compact JSON of the values array.
    static func link(previous: String, values: [JSONValue]) -> String {
        var text = String()
        text.reserveCapacity(512)
        text += previous
        text += "\n"
        JSONWriter.write(.array(values), into: &text)
        var hasher = SHA256()
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        let digest = hasher.finalize()
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
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
    }

    /// Walks the whole chain in `seq` order.
    static func verify(_ db: Database, _ table: Table) throws -> Verdict {
        var previous = genesis
        var rows = 0
        let cursor = try Row.fetchCursor(db, sql: "SELECT \(table.columns.joined(separator: ", ")), hash FROM \(table.name) ORDER BY seq")
        while let row = try cursor.next() {
            rows += 1
            let stored: String? = row[table.columns.count]
            let expected = link(previous: previous, values: values(of: row, table))
            guard stored == expected else { return Verdict(rows: rows, firstBroken: row[0]) }
            previous = expected
        }
        return Verdict(rows: rows, firstBroken: nil)
    }

    /// Computes the hash of every row that has none, in order (migrating a database made
    /// before the chains). Rows that have one keep it.
    static func fill(_ db: Database, _ table: Table) throws {
        var previous = genesis
        // A cursor, not an array: a million events must not be held in memory. Updating the
        // hash of the row just read does not move it in the rowid order the cursor walks.
        let rows = try Row.fetchCursor(db, sql: "SELECT \(table.columns.joined(separator: ", ")), hash FROM \(table.name) ORDER BY seq")
        while let row = try rows.next() {
            let stored: String? = row[table.columns.count]
            let hash = stored ?? link(previous: previous, values: values(of: row, table))
            if stored == nil {
                try db.cachedStatement(sql: "UPDATE \(table.name) SET hash = ? WHERE seq = ?").execute(arguments: [hash, row[0] as Int64])
            }
            previous = hash
        }
    }
}
