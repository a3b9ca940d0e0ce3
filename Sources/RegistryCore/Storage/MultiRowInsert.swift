import GRDB

/// Rows inserted ``batch`` at a time by one multi-row `INSERT … VALUES (…), (…)`, the last
/// few one by one: for a recount that writes a million rows, where a statement per row
/// costs SQLite more than the row itself.
///
/// ```swift
/// var insert = try MultiRowInsert<(String, Int64)>(db, "population_birthday (born, grid, people)", width: 3) { s, at, row in
///     s.bind(at + 1, row.0); s.bind(at + 2, "411525003001001"); s.bind(at + 3, row.1)
/// }
/// try insert.append(("1990-01-01", 2))
/// try insert.finish()   // the rows still held
/// ```
struct MultiRowInsert<Values> {
    static var batch: Int { 64 }
    private let one: RawStatement
    private let many: RawStatement
    private let width: Int32
    /// Binds one row's values from parameter `at + 1` on.
    private let bind: (RawStatement, Int32, Values) -> Void
    private var held: [Values] = []

    /// - Parameters:
    ///   - into: the table and its columns, as `INSERT INTO` takes them.
    ///   - width: the number of columns.
    init(_ db: Database, _ into: String, width: Int, bind: @escaping (RawStatement, Int32, Values) -> Void) throws {
        let row = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        // The binding closure cannot throw: every batch is bound and stepped at once, so
        // its values may be read in place (``ParameterBytes``).
        one = try RawStatement(db, "INSERT INTO \(into) VALUES \(row)", holding: ParameterBytes())
        many = try RawStatement(db, "INSERT INTO \(into) VALUES " + Array(repeating: row, count: Self.batch).joined(separator: ", "),
                                holding: ParameterBytes())
        self.width = Int32(width)
        self.bind = bind
        held.reserveCapacity(Self.batch)
    }

    /// Inserts `values`, or holds them until a batch is full.
    mutating func append(_ values: Values) throws {
        held.append(values)
        guard held.count == Self.batch else { return }
        for (i, values) in held.enumerated() { bind(many, Int32(i) * width, values) }
        try many.run()
        held.removeAll(keepingCapacity: true)
    }

    /// Inserts the rows still held, one by one.
    mutating func finish() throws {
        for values in held {
            bind(one, 0, values)
            try one.run()
        }
        held.removeAll()
    }
}
