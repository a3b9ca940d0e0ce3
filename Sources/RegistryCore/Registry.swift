import Foundation
import GRDB

/// An open registry database: the one entry point to every operation.
///
/// Each ``perform(method:params:operator:)`` runs one request in one IMMEDIATE
/// transaction, with its ledger events, and returns only after the commit is on disk
/// (WAL with `synchronous = FULL`). ``performGroup(_:)`` runs many requests in one
/// transaction, each in its own savepoint, and commits once: the JSON-RPC server's
/// group commit.
public final class Registry: Sendable {
    /// The database file.
    public let path: String
    public let settings: RegistrySettings
    let queue: DatabaseQueue

    /// Creates a registry database at `path` for a county, or checks that the one there
    /// is for the same county (then it does nothing).
    /// - Throws: `county_mismatch` when the file keeps another county; `invalid_params`
    ///   on a bad code or name.
    @discardableResult
    public static func initialize(path: String, settings: RegistrySettings) throws(RegistryError) -> Registry {
        guard settings.countyCode.count == 6, settings.countyCode.allSatisfy(\.isASCIIDigit),
              IDNumber.provinceCodes.contains(String(settings.countyCode.prefix(2))) else {
            throw .invalid("county", "'\(settings.countyCode)' is not a 6-digit county division code")
        }
        let name = settings.countyName.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw .invalid("name", "must not be empty") }
        let queue = try openQueue(path: path)
        return try storageErrors {
            try queue.write { db in
                try Migrations.prepare(db)
                if let existing = try readSettings(db) {
                    guard existing.countyCode == settings.countyCode else {
                        throw RegistryError.conflict("county_mismatch", field: "county",
                            "\(path) already keeps county \(existing.countyCode) \(existing.countyName), not \(settings.countyCode)")
                    }
                    return
                }
                try db.execute(sql: "INSERT INTO registry (id, county_code, county_name, migrant_scope, created_at) VALUES (1, ?, ?, ?, ?)",
                               arguments: [settings.countyCode, name, settings.migrantScope.rawValue, Timestamp.now()])
                try db.execute(sql: "INSERT INTO area (code, name, level) VALUES (?, ?, 'county')",
                               arguments: [settings.countyCode, name])
            }
            let stored = try queue.read { try readSettings($0) }!
            return Registry(path: path, settings: stored, queue: queue)
        }
    }

    /// Opens an existing registry database, migrating an older schema.
    /// - Throws: `no_database` when there is no file at `path`, `not_initialized` when it
    ///   holds no county yet, `schema_too_new` for a file from a newer program.
    public static func open(path: String) throws(RegistryError) -> Registry {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RegistryError(.notFound, reason: "no_database",
                                message: "no registry database at \(path): run `registry init --county CODE --name NAME` first, or name one with --db or REGISTRY_DB")
        }
        let queue = try openQueue(path: path)
        return try storageErrors {
            let settings = try queue.write { db -> RegistrySettings? in
                try Migrations.prepare(db)
                return try readSettings(db)
            }
            guard let settings else {
                throw RegistryError(.notFound, reason: "not_initialized",
                                    message: "\(path) holds no county yet: run `registry init --county CODE --name NAME`")
            }
            return Registry(path: path, settings: settings, queue: queue)
        }
    }

    private init(path: String, settings: RegistrySettings, queue: DatabaseQueue) {
        self.path = path
        self.settings = settings
        self.queue = queue
    }

    private static func openQueue(path: String) throws(RegistryError) -> DatabaseQueue {
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(30)
        config.foreignKeysEnabled = true
        config.label = "registry"
        return try storageErrors {
            let previous = umask(0o077)
            defer { umask(previous) }
            let queue = try DatabaseQueue(path: path, configuration: config)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            return queue
        }
    }

    private static func readSettings(_ db: Database) throws -> RegistrySettings? {
        guard let row = try Row.fetchOne(db, sql: "SELECT county_code, county_name, migrant_scope FROM registry WHERE id = 1") else {
            return nil
        }
        return RegistrySettings(countyCode: row[0], countyName: row[1],
                                migrantScope: MigrantScope(rawValue: row[2]) ?? .county)
    }

    // MARK: - Performing requests

    /// Runs the request `method` with the JSON object in `params` (which holds the params
    /// under a `params` key, as a JSON-RPC request line does) in its own transaction.
    /// - Returns: the result as the contract shows it.
    /// - Throws: ``RegistryError``; the database is then unchanged.
    public func perform(method: String, params: Data, operator actor: String) throws(RegistryError) -> JSONValue {
        try performGroup(operator: actor) { group throws(RegistryError) in
            try group.perform(method: method, params: params).get()
        }
    }

    /// Runs a typed request in its own transaction.
    public func perform<Request: RegistryRequest>(_ request: Request, operator actor: String) throws(RegistryError) -> Request.Result {
        try performGroup(operator: actor) { group throws(RegistryError) in
            try group.perform(request).get()
        }
    }

    /// Runs `body` in one IMMEDIATE transaction; each request it performs through the
    /// ``Group`` runs in a savepoint of its own (rolled back when it fails). The
    /// transaction commits once `body` returns, durably, before this returns.
    /// - Throws: when the commit itself fails: then no request of the group took effect.
    public func performGroup<T>(operator actor: String, _ body: (Group) throws(RegistryError) -> T) throws(RegistryError) -> T {
        try storageErrors {
            var output: Result<T, RegistryError>!
            try queue.inTransaction(.immediate) { db in
                let group = Group(registry: self, db: db, actor: actor)
                do throws(RegistryError) {
                    output = .success(try body(group))
                    return .commit
                } catch {
                    output = .failure(error)
                    return .rollback
                }
            }
            return try output.get()
        }
    }

    /// Runs read-only work in one read transaction (a consistent snapshot that does not
    /// block writers), such as streaming an export.
    public func read<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        try storageErrors { try queue.read(body) }
    }

    func context(_ db: Database, actor: String) -> OperationContext {
        OperationContext(db: db, settings: settings, actor: actor, today: .today(), now: Timestamp.now())
    }

    /// Requests performed inside one transaction of ``Registry/performGroup(operator:_:)``.
    public struct Group {
        let registry: Registry
        let db: Database
        let actor: String

        /// Decodes and runs one request in a savepoint of its own.
        /// - Returns: the result, or the refusal (after rolling back the savepoint).
        public func perform(method: String, params: Data) -> Result<JSONValue, RegistryError> {
            guard let type = Methods.named(method) else {
                return .failure(RegistryError(.invalidParams, reason: "method_not_found",
                                              message: "no method named '\(method)'"))
            }
            return run(type, params: params)
        }

        private func run<Request: RegistryRequest>(_ type: Request.Type, params: Data) -> Result<JSONValue, RegistryError> {
            let context = registry.context(db, actor: actor)
            let request: Request
            do {
                request = try RequestDecoding.decode(type, from: params, today: context.today)
            } catch {
                return .failure(error)
            }
            return perform(request, context: context).map(\.json)
        }

        /// Runs a typed request in a savepoint of its own.
        /// - Returns: the result, or the refusal (after rolling back the savepoint).
        public func perform<Request: RegistryRequest>(_ request: Request) -> Result<Request.Result, RegistryError> {
            perform(request, context: registry.context(db, actor: actor))
        }

        private func perform<Request: RegistryRequest>(_ request: Request, context: OperationContext) -> Result<Request.Result, RegistryError> {
            var outcome: Result<Request.Result, RegistryError> = .failure(.storage("not run"))
            do {
                try db.inSavepoint {
                    do {
                        outcome = .success(try request.execute(in: context))
                        return .commit
                    } catch let error as RegistryError {
                        outcome = .failure(error)
                        return .rollback
                    } catch let error as DatabaseError {
                        outcome = .failure(RegistryError.fromDatabase(error))
                        return .rollback
                    }
                }
            } catch {
                outcome = .failure(RegistryError.fromDatabase(error))
            }
            return outcome
        }
    }
}

/// Runs `body`, turning GRDB's errors into ``RegistryError``s.
func storageErrors<T>(_ body: () throws -> T) throws(RegistryError) -> T {
    do {
        return try body()
    } catch let error as RegistryError {
        throw error
    } catch {
        throw RegistryError.fromDatabase(error)
    }
}

extension RegistryError {
    /// An SQLite failure as a registry error: a constraint the Swift checks missed is a
    /// conflict (the database guarded the invariant), anything else a storage error.
    static func fromDatabase(_ error: any Error) -> RegistryError {
        if let registry = error as? RegistryError { return registry }
        if let db = error as? DatabaseError {
            if db.resultCode == .SQLITE_CONSTRAINT {
                return .conflict("constraint_violated", "the database refused the change: \(db.message ?? "constraint failed")")
            }
            return .storage("database error: \(db.message ?? "\(db.resultCode)")")
        }
        return .storage("\(error)")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
