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

    /// The cached statement for `sql`, reset with its bindings cleared.
    init(_ db: Database, _ sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// `statement`, reset, its bindings kept (``KeptStatements``: the caller binds every
    /// parameter again).
    init(keeping statement: Statement, _ db: Database) {
        self.db = db
        self.statement = statement
        handle = statement.sqliteStatement
        sqlite3_reset(handle)
    }

    /// The cached statement for `sql` with `arguments` bound (GRDB checks their count).
    init(_ db: Database, _ sql: String, arguments: StatementArguments) throws {
        try self.init(db, sql)
        try statement.setArguments(arguments)
    }

    /// Binds parameter `index` (1-based); `nil` binds NULL.
    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        var copy = value
        copy.withUTF8 { bytes in
            _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                                  Int32(bytes.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    /// Binds a blob (copied by SQLite); `nil` binds NULL.
    func bind(_ index: Int32, _ value: Data?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        value.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Bool?) {
        bind(index, value.map { $0 ? 1 : 0 } as Int64?)
    }

    /// Runs a statement that returns no rows.
    func run() throws {
        let code = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        guard code == SQLITE_DONE else { throw failure(code) }
    }

    /// Steps to the first row and reads it with `body`; `nil` when there is none.
    func first<T>(_ body: (Columns) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
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
            sqlite3_reset(handle)
            return nil
        }
        guard code == SQLITE_ROW else {
            sqlite3_reset(handle)
            throw failure(code)
        }
        return try body(Columns(handle: handle))
    }

    /// Steps through every row, reading each with `body`.
    func each(_ body: (Columns) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
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
