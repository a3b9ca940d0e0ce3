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
    /// The key file that seals its personal data (see ``RegistryKey``).
    public let keyFile: String
    /// The key read from it, `nil` when there is no key file.
    let key: RegistryKey?
    public let settings: RegistrySettings
    let queue: DatabaseQueue

    /// Creates a registry database at `path` for a county, or checks that the one there
    /// is for the same county (then it does nothing).
    ///
    /// A new registry gets a new key, written to `keyFile` (default: the database's path
    /// with `.key` appended) with mode 0600, unless a key file is already there.
    /// - Throws: `county_mismatch` when the file keeps another county; `invalid_params`
    ///   on a bad code or name; `key_mismatch` when the key file is another registry's.
    @discardableResult
    public static func initialize(path: String, settings: RegistrySettings, keyFile: String? = nil) throws(RegistryError) -> Registry {
        guard settings.countyCode.count == 6, settings.countyCode.allSatisfy(\.isASCIIDigit),
              IDNumber.provinceCodes.contains(String(settings.countyCode.prefix(2))) else {
            throw .invalid("county", "'\(settings.countyCode)' is not a 6-digit county division code")
        }
        let name = settings.countyName.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw .invalid("name", "must not be empty") }
        let keyPath = keyFile ?? RegistryKey.defaultPath(forDatabase: path)
        let (queue, existingKey) = try openDatabase(path: path, keyPath: keyPath)
        var key = existingKey
        if try storageErrors({ try queue.read { try readSettings($0) } }) == nil && key == nil {
            key = try RegistryKey.create(path: keyPath)
            try install(key, keyPath: keyPath, in: queue)
        }
        return try storageErrors {
            try queue.write { db in
                if let existing = try readSettings(db) {
                    guard existing.countyCode == settings.countyCode else {
                        throw RegistryError.conflict("county_mismatch", field: "county",
                            "\(path) already keeps county \(existing.countyCode) \(existing.countyName), not \(settings.countyCode)")
                    }
                    return
                }
                try db.execute(sql: """
                    INSERT INTO registry (id, county_code, county_name, migrant_scope, created_at, key_check) VALUES (1, ?, ?, ?, ?, ?)
                    """, arguments: [settings.countyCode, name, settings.migrantScope.rawValue, Timestamp.now(), key?.checkValue])
                try db.execute(sql: "INSERT INTO area (code, name, level) VALUES (?, ?, 'county')",
                               arguments: [settings.countyCode, name])
            }
            let stored = try queue.read { try readSettings($0) }!
            return Registry(path: path, keyFile: keyPath, key: key, settings: stored, queue: queue)
        }
    }

    /// Opens an existing registry database, migrating an older schema.
    ///
    /// The key is read from `keyFile` (default: the database's path with `.key` appended).
    /// Without a key file the registry still opens: statistics, masked lists, checks and
    /// backups work, and whatever needs an ID number in the clear (a lookup, a
    /// registration, a reveal) fails with `key_missing`.
    /// - Throws: `no_database` when there is no file at `path`, `not_initialized` when it
    ///   holds no county yet, `schema_too_new` for a file from a newer program,
    ///   `key_mismatch` when the key file is another registry's.
    public static func open(path: String, keyFile: String? = nil) throws(RegistryError) -> Registry {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RegistryError(.notFound, reason: "no_database",
                                message: "no registry database at \(path): run `registry init --county CODE --name NAME` first, or name one with --db or REGISTRY_DB")
        }
        let keyPath = keyFile ?? RegistryKey.defaultPath(forDatabase: path)
        let (queue, key) = try openDatabase(path: path, keyPath: keyPath)
        return try storageErrors {
            guard let settings = try queue.read({ try readSettings($0) }) else {
                throw RegistryError(.notFound, reason: "not_initialized",
                                    message: "\(path) holds no county yet: run `registry init --county CODE --name NAME`")
            }
            return Registry(path: path, keyFile: keyPath, key: key, settings: settings, queue: queue)
        }
    }

    private init(path: String, keyFile: String, key: RegistryKey?, settings: RegistrySettings, queue: DatabaseQueue) {
        self.path = path
        self.keyFile = keyFile
        self.key = key
        self.settings = settings
        self.queue = queue
    }

    /// Opens the file, brings its schema up to date and installs the key's SQL functions.
    /// - Returns: the connection and the key (`nil` when there is no key file).
    private static func openDatabase(path: String, keyPath: String) throws(RegistryError) -> (DatabaseQueue, RegistryKey?) {
        let loaded = try RegistryKey.load(path: keyPath)
        var key = loaded
        let queue = try openQueue(path: path)
        try install(key, keyPath: keyPath, in: queue)
        try storageErrors {
            try Migrations.prepare(queue, key: key) { () throws(RegistryError) -> RegistryKey in
                // An older database being sealed for the first time gets its key now.
                let created = try RegistryKey.create(path: keyPath)
                key = created
                return created
            }
        }
        if loaded == nil && key != nil {
            // A migration made the key: every later statement gets it too.
            try install(key, keyPath: keyPath, in: queue)
        }
        let stored = try storageErrors { try queue.read { try String.fetchOne($0, sql: "SELECT key_check FROM registry WHERE id = 1") } }
        if let stored, let key, stored != key.checkValue {
            throw RegistryError(.internalError, reason: "key_mismatch", field: "keyFile",
                                message: "the key file \(keyPath) is not this registry's key: name the right one with --key-file or REGISTRY_KEY_FILE")
        }
        return (queue, key)
    }

    private static func install(_ key: RegistryKey?, keyPath: String, in queue: DatabaseQueue) throws(RegistryError) {
        try storageErrors { queue.inDatabase { PersonalDataCipher.install(in: $0, key: key, keyFile: keyPath) } }
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
                // A page cache large enough that a group of requests does not spill dirty
                // pages to the WAL before its commit (SQLite's default is 2 MiB).
                try db.execute(sql: "PRAGMA cache_size = -40960")
                // Each request's savepoint keeps copies of the pages it changes (the statement
                // journal): in memory, not in a temporary file written page by page.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                // Checkpoint the WAL every ~40 MiB rather than every 4 MiB: a page changed by
                // many groups between two checkpoints is copied back to the database once.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
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

    /// Runs the request `method` with its params object in its own transaction.
    /// - Returns: the result as the contract shows it.
    /// - Throws: ``RegistryError``; the database is then unchanged.
    public func perform(method: String, params: JSONValue?, operator actor: String) throws(RegistryError) -> JSONValue {
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

    /// How a group isolates one request's changes from the others'.
    public enum Isolation: Sendable {
        /// Each request in a savepoint of its own: always correct, at the cost of SQLite
        /// copying every page a request first touches.
        case savepoints
        /// No savepoints. A request refused before it wrote anything (the usual refusal:
        /// a bad field, an unknown unit) needs no rollback. If one is refused after writing
        /// (a constraint only the database caught), the whole transaction is rolled back and
        /// `body` runs again with ``savepoints``: so `body` must be safe to run twice.
        case optimistic
        /// No savepoints and no replay: for a caller that rolls the whole transaction back
        /// when any request is refused (an all-or-nothing import). After a request refused
        /// after writing, the group continues with savepoints, so that the rows after it are
        /// judged against a state that holds none of its writes but the ones it made itself.
        case allOrNothing
    }

    /// Runs `body` in one IMMEDIATE transaction; each request it performs through the
    /// ``Group`` is isolated from the others (see ``Isolation``): a refused request changes
    /// nothing. The transaction commits once `body` returns, durably, before this returns.
    /// - Throws: what `body` throws (then nothing is committed), or the commit's failure.
    public func performGroup<T>(operator actor: String, isolation: Isolation = .savepoints,
                                _ body: (Group) throws(RegistryError) -> T) throws(RegistryError) -> T {
        try storageErrors {
            var output: Result<T, RegistryError>!
            var isolation = isolation
            while true {
                let state = Group.State()
                try queue.inTransaction(.immediate) { db in
                    let group = Group(registry: self, db: db, actor: actor, today: .today(), now: Timestamp.now(),
                                      isolation: isolation, state: state)
                    do throws(RegistryError) {
                        output = .success(try body(group))
                        return state.replayNeeded ? .rollback : .commit
                    } catch {
                        output = .failure(error)
                        return .rollback
                    }
                }
                guard state.replayNeeded else { break }
                isolation = .savepoints
            }
            return try output.get()
        }
    }

    /// Shrinks this connection's page cache for a one-pass scan (an export): the pages are
    /// read once, so a large cache would only hold memory. A sort the scan needs (the
    /// roster's order) spills to temporary files instead of growing in memory with the
    /// county: a million-resident roster sorted in memory took 242 MB.
    public func streamingReads() throws(RegistryError) {
        try storageErrors {
            try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA cache_size = -2048; PRAGMA temp_store = FILE") }
        }
    }

    /// Runs a bulk load (`body`) with SQLite's sorter spilling to temporary files: the
    /// indexes an import rebuilds at its end are sorted in pieces of the page cache's size,
    /// instead of whole in memory (a million residents' ledger index alone is about 60 MB).
    /// Afterwards the temporary store is in memory again, as requests' savepoint journals
    /// want it.
    func sortingOnDisk<T>(_ body: () throws -> T) throws -> T {
        try storageErrors { try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA temp_store = FILE") } }
        defer { try? queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA temp_store = MEMORY") } }
        return try body()
    }

    /// Runs read-only work in one read transaction (a consistent snapshot that does not
    /// block writers), such as streaming an export.
    public func read<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        try storageErrors { try queue.read(body) }
    }

    /// Requests performed inside one transaction of ``Registry/performGroup(operator:_:)``.
    public struct Group {
        let registry: Registry
        let db: Database
        let actor: String
        /// The local date and the time, read once per transaction: every event of a group
        /// commit is recorded at the same moment.
        let today: CivilDate
        let now: String
        let isolation: Isolation
        let state: State

        /// Set when an optimistic group must be run again with savepoints.
        final class State {
            var replayNeeded = false
            var savepointsFromNowOn = false
            let chainTips = HashChain.Tips()
        }

        var context: OperationContext {
            OperationContext(db: db, settings: registry.settings, actor: actor, today: today, now: now, chainTips: state.chainTips,
                             key: registry.key, keyFile: registry.keyFile)
        }

        /// Decodes and runs one request, isolated from the group's others.
        /// - Returns: the result, or the refusal (which changed nothing).
        public func perform(method: String, params: JSONValue?) -> Result<JSONValue, RegistryError> {
            PreparedRequest.prepare(method: method, params: params, today: today).flatMap { $0.run(in: self) }
        }

        /// Runs a typed request in a savepoint of its own.
        /// - Returns: the result, or the refusal (after rolling back the savepoint).
        public func perform<Request: RegistryRequest>(_ request: Request) -> Result<Request.Result, RegistryError> {
            perform(request, context: context)
        }

        private func perform<Request: RegistryRequest>(_ request: Request, context: OperationContext) -> Result<Request.Result, RegistryError> {
            if state.replayNeeded {
                return .failure(.storage("not run: the group runs again with savepoints"))
            }
            if isolation != .savepoints && !state.savepointsFromNowOn {
                let changesBefore = db.totalChangesCount
                do {
                    return .success(try request.execute(in: context))
                } catch {
                    state.chainTips.forget()
                    if db.totalChangesCount != changesBefore {
                        if isolation == .optimistic { state.replayNeeded = true } else { state.savepointsFromNowOn = true }
                    }
                    return .failure(RegistryError.fromDatabase(error))
                }
            }
            // A savepoint through cached statements: GRDB's `inSavepoint` prepares its
            // SAVEPOINT and RELEASE statements anew each time, a cost paid per request.
            do {
                try db.cachedExecute(sql: "SAVEPOINT request")
            } catch {
                return .failure(RegistryError.fromDatabase(error))
            }
            do {
                let result = try request.execute(in: context)
                try db.cachedExecute(sql: "RELEASE SAVEPOINT request")
                return .success(result)
            } catch {
                state.chainTips.forget()
                let failure = RegistryError.fromDatabase(error)
                do {
                    try db.cachedExecute(sql: "ROLLBACK TO SAVEPOINT request")
                    try db.cachedExecute(sql: "RELEASE SAVEPOINT request")
                } catch {
                    return .failure(RegistryError.fromDatabase(error))
                }
                return .failure(failure)
            }
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
            if let message = db.message, message.hasPrefix(PersonalDataCipher.keyMissingPrefix) {
                return RegistryError(.internalError, reason: "key_missing", field: "keyFile",
                                     message: String(message.dropFirst(PersonalDataCipher.keyMissingPrefix.count)))
            }
            if db.resultCode == .SQLITE_CONSTRAINT {
                return .conflict("constraint_violated", "the database refused the change: \(db.message ?? "constraint failed")")
            }
            return .storage("database error: \(db.message ?? "\(db.resultCode)")")
        }
        return .storage("\(error)")
    }
}
