import Foundation
import GRDB
import GRDBSQLite

/// SQLite's C interface on a cached GRDB statement, for the few statements every
/// registration runs (look up a unit and a person, insert a person, a residence, an event).
///
/// GRDB wraps each argument in an existential and builds a `Row` with a column-name table
/// for every fetch: on the JSON-RPC hot path that cost more instructions than SQLite's own
/// work for the same statement. Here arguments are bound and columns read directly.
/// Everything else goes through GRDB.
struct RawStatement {
    private let statement: Statement
    private let handle: OpaquePointer
    private let db: Database
    /// Where text and blob parameters are held for the step (``ParameterBytes``); `nil`
    /// when SQLite copies them (`SQLITE_TRANSIENT`).
    private let held: ParameterBytes?

    /// The cached statement for `sql`, reset with its bindings cleared.
    /// - Parameter bytes: where its text and blob parameters are held for each step
    ///   (``ParameterBytes``; every step then leaves its parameters NULL again), for a
    ///   statement run many times in a loop that binds and steps with nothing that can
    ///   throw in between (``MultiRowInsert``); `nil`: SQLite copies them.
    init(_ db: Database, _ sql: String, holding bytes: ParameterBytes? = nil) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        held = bytes
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// A kept statement (``KeptStatements``), its text and blob parameters held in `bytes`
    /// for each step; every step leaves its parameters NULL again.
    init(keeping statement: Statement, _ db: Database, bytes: ParameterBytes) {
        self.db = db
        self.statement = statement
        handle = statement.sqliteStatement
        held = bytes
        sqlite3_reset(handle)
    }

    /// The cached statement for `sql` with `arguments` bound (GRDB checks their count).
    init(_ db: Database, _ sql: String, arguments: StatementArguments) throws {
        try self.init(db, sql)
        try statement.setArguments(arguments)
    }

    /// SQLite's `SQLITE_TRANSIENT`: it copies the value.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Binds parameter `index` (1-based); `nil` binds NULL.
    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        var copy = value
        copy.withUTF8 { bytes in
            let count = Int32(bytes.count)
            if let held {
                let pointer = held.hold(UnsafeRawBufferPointer(bytes))
                // Length -1 tells SQLite the text ends at a NUL (there is one after it), so it
                // never copies the text to add one (a date CHECK's `date()` would); a text
                // with a NUL inside keeps its length.
                let hasNUL = bytes.count > 0 && memchr(bytes.baseAddress!, 0, bytes.count) != nil
                _ = sqlite3_bind_text(handle, index, pointer.assumingMemoryBound(to: CChar.self), hasNUL ? count : -1, nil)
            } else {
                _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                                      count, Self.transient)
            }
        }
    }

    /// Binds a blob; `nil` binds NULL.
    func bind(_ index: Int32, _ value: Data?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        value.withUnsafeBytes { bytes in
            if let held {
                _ = sqlite3_bind_blob(handle, index, held.hold(bytes), Int32(bytes.count), nil)
            } else {
                _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
            }
        }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Bool?) {
        bind(index, value.map { $0 ? 1 : 0 } as Int64?)
    }

    /// Resets the statement after its step; a held statement's parameters are cleared
    /// (no binding outlives its step: ``ParameterBytes``) and their bytes may be reused.
    private func reset() {
        sqlite3_reset(handle)
        if let held {
            sqlite3_clear_bindings(handle)
            held.reuse()
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws {
        let code = sqlite3_step(handle)
        defer { reset() }
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    /// Steps to the first row and reads it with `body`; `nil` when there is none.
    func first<T>(_ body: (Columns) throws -> T) throws -> T? {
        defer { reset() }
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE { return nil }
        guard code == SQLITE_ROW else { throw failure(code) }
        return try body(Columns(handle: handle))
    }

    /// Steps to the next row and reads it with `body`; `nil` at the end (the statement is
    /// then reset). For reading one statement beside another, row by row; a caller that
    /// stops before the end resets it with ``init(_:_:)`` the next time.
    func next<T>(_ body: (Columns) throws -> T) throws -> T? {
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE {
            reset()
            return nil
        }
        guard code == SQLITE_ROW else {
            reset()
            throw failure(code)
        }
        return try body(Columns(handle: handle))
    }

    /// Steps through every row, reading each with `body`.
    func each(_ body: (Columns) throws -> Void) throws {
        defer { reset() }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code) }
            try body(Columns(handle: handle))
        }
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }

    /// The columns of the current row (0-based).
    struct Columns {
        let handle: OpaquePointer

        func text(_ index: Int32) -> String? {
            guard let pointer = sqlite3_column_text(handle, index) else { return nil }
            let count = Int(sqlite3_column_bytes(handle, index))
            return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
        }

        func string(_ index: Int32) -> String { text(index) ?? "" }

        /// The column's text as SQLite holds it (valid until the next step), empty for NULL.
        func bytes(_ index: Int32) -> UnsafeBufferPointer<UInt8> {
            guard let pointer = sqlite3_column_text(handle, index) else { return UnsafeBufferPointer(start: nil, count: 0) }
            return UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, index)))
        }

        /// The column's text as a NUL-terminated C string (valid until the next step); `nil` for NULL.
        func cString(_ index: Int32) -> UnsafePointer<CChar>? {
            sqlite3_column_text(handle, index).map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        }

        func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

        func data(_ index: Int32) -> Data? {
            guard let pointer = sqlite3_column_blob(handle, index) else { return nil }
            return Data(bytes: pointer, count: Int(sqlite3_column_bytes(handle, index)))
        }

        /// The column's blob as SQLite holds it (valid until the next step); `nil` for NULL.
        func blob(_ index: Int32) -> UnsafeRawBufferPointer? {
            guard let pointer = sqlite3_column_blob(handle, index) else { return nil }
            return UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, index)))
        }

        func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

        func date(_ index: Int32) -> CivilDate? { text(index).flatMap(CivilDate.init) }
    }
}
