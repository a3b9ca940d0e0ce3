import GRDB
import GRDBSQLite

/// The statements a transaction runs for every row or request, kept for it prepared: found
/// by the address of their SQL text (a few pointer comparisons) instead of hashing the
/// text in GRDB's statement cache, each with the bytes its text and blob parameters are
/// read from in place (``ParameterBytes``) rather than copied by SQLite into memory it
/// allocates and frees for every value.
///
/// Every step leaves a kept statement's parameters NULL: a parameter its caller does not
/// bind is NULL, never the previous row's value. ``release()`` must run before the
/// transaction's connection serves anyone else (``Registry/performGroup(as:isolation:_:)``
/// and the read groups do).
///
/// ```swift
/// static let insert: StaticString = "INSERT INTO ledger_event (seq, type) VALUES (?, ?)"
/// let statement = try context.kept.statement(Self.insert, in: context.db)
/// statement.bind(1, seq)
/// statement.bind(2, type)
/// try statement.run()
/// ```
final class KeptStatements {
    private var kept: [(sql: UnsafeRawPointer, statement: Statement, bytes: ParameterBytes)] = []

    /// The statement for `sql`, reset, its parameters NULL.
    func statement(_ sql: StaticString, in db: Database) throws -> RawStatement {
        let address = UnsafeRawPointer(sql.utf8Start)
        for entry in kept where entry.sql == address {
            return RawStatement(keeping: entry.statement, db, bytes: entry.bytes)
        }
        let statement = try db.cachedStatement(sql: "\(sql)")
        let bytes = ParameterBytes()
        kept.append((address, statement, bytes))
        return RawStatement(keeping: statement, db, bytes: bytes)
    }

    /// Resets every kept statement and clears its parameters, so that none points into
    /// bytes about to be freed (a caller may have bound values and thrown before its
    /// step). Call on the transaction's connection, before it serves anyone else: the
    /// statements stay in GRDB's cache for the connection's next users.
    func release() {
        for entry in kept {
            sqlite3_reset(entry.statement.sqliteStatement)
            sqlite3_clear_bindings(entry.statement.sqliteStatement)
            entry.bytes.reuse()
        }
        kept.removeAll()
    }
}
