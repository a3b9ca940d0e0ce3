import GRDB

/// The statements a transaction runs for every row or request, kept for it prepared and
/// with their bound values' buffers: found by the address of their SQL text (a few
/// pointer comparisons) instead of hashing the text in GRDB's statement cache, and never
/// cleared, so that SQLite copies each text into the buffer the same parameter used
/// before instead of allocating one.
///
/// A statement from here keeps the previous row's values: **its caller binds every
/// parameter**, every time (``LedgerEvent`` does, column by column). Statements that bind
/// only some, relying on the rest being NULL, take ``RawStatement/init(_:_:)`` instead.
///
/// ```swift
/// static let insert: StaticString = "INSERT INTO ledger_event (seq, type) VALUES (?, ?)"
/// let statement = try context.kept.statement(Self.insert, in: context.db)
/// statement.bind(1, seq)
/// statement.bind(2, type)
/// try statement.run()
/// ```
final class KeptStatements {
    private var kept: [(sql: UnsafeRawPointer, statement: Statement)] = []

    /// The statement for `sql`, reset (and still holding the values bound last).
    func statement(_ sql: StaticString, in db: Database) throws -> RawStatement {
        let address = UnsafeRawPointer(sql.utf8Start)
        for entry in kept where entry.sql == address {
            return RawStatement(keeping: entry.statement, db)
        }
        let statement = try db.cachedStatement(sql: "\(sql)")
        kept.append((address, statement))
        return RawStatement(keeping: statement, db)
    }
}
