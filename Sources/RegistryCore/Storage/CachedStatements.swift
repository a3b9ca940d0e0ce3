import GRDB

/// Queries through SQLite's prepared-statement cache.
///
/// Preparing a statement costs tens of microseconds, more than running a small query: on
/// the request paths every statement is prepared once per connection and reused. The SQL
/// texts built at run time come from a bounded set of fragments, so the cache stays small.
extension Database {
    func cachedRows(sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    /// Reads the first row in place, without copying it: `body` must not keep the row.
    func withFirstRow<T>(sql: String, arguments: StatementArguments = [], _ body: (Row) throws -> T) throws -> T? {
        let cursor = try Row.fetchCursor(cachedStatement(sql: sql), arguments: arguments)
        guard let row = try cursor.next() else { return nil }
        return try body(row)
    }

    func cachedValue<Value: DatabaseValueConvertible & StatementColumnConvertible>(
        _ type: Value.Type, sql: String, arguments: StatementArguments = []) throws -> Value? {
        try Value.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func cachedExecute(sql: String, arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
