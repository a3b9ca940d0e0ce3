import Foundation
import GRDB
import CSQLiteSetup

/// An open registry database: the one entry point to every operation.
///
/// Each ``perform(method:params:operator:)`` runs one request in one IMMEDIATE
/// transaction, with its ledger events, and returns only after the commit is on disk
/// (WAL with `synchronous = FULL`). ``performGroup(_:)`` runs many requests in one
/// transaction, each in its own savepoint, and commits once: the JSON-RPC server's
/// group commit. Writes go through the pool's one writer connection; exports, checks
/// and ``read(_:)`` run on reader connections of their own (WAL snapshots), so that a
/// long export neither blocks writers nor changes the writer's settings.
public final class Registry: Sendable {
    /// The database file.
    public let path: String
    /// The key file that seals its personal data (see ``RegistryKey``).
    public let keyFile: String
    /// The key read from it, `nil` when there is no key file.
    let key: RegistryKey?
    public let settings: RegistrySettings
    let pool: DatabasePool
    /// Who recent API tokens stand for (checked against the accounts' generation on every use).
    let tokenPrincipals = TokenPrincipals()

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
        let (pool, existingKey, keyBox) = try openDatabase(path: path, keyPath: keyPath, checkKey: false)
        var key = existingKey
        if try storageErrors({ try pool.read { try readSettings($0) } }) == nil && key == nil {
            key = try RegistryKey.create(path: keyPath)
            try install(key, keyPath: keyPath, in: pool, box: keyBox)
        }
        if let key, try storageErrors({ try pool.read { try readSettings($0) } }) != nil {
            // Init again on an existing registry: the key must be its own.
            try verifyKeyCheck(pool, key: key, keyPath: keyPath)
        }
        return try storageErrors {
            try pool.write { db in
                if let existing = try readSettings(db) {
                    guard existing.countyCode == settings.countyCode else {
                        throw RegistryError.conflict(.countyMismatch, field: "county",
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
            let stored = try pool.read { try readSettings($0) }!
            return Registry(path: path, keyFile: keyPath, key: key, settings: stored, pool: pool)
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
            throw RegistryError(.notFound, reason: .noDatabase,
                                message: "no registry database at \(path): run `registry init --county CODE --name NAME` first, or name one with --db or REGISTRY_DB")
        }
        let keyPath = keyFile ?? RegistryKey.defaultPath(forDatabase: path)
        let (pool, key, _) = try openDatabase(path: path, keyPath: keyPath, checkKey: true)
        return try storageErrors {
            // On the writer, like the schema version and the key check: a command that only
            // writes then opens no reader connection at all.
            guard let settings = try pool.writeWithoutTransaction({ try readSettings($0) }) else {
                throw RegistryError(.notFound, reason: .notInitialized,
                                    message: "\(path) holds no county yet: run `registry init --county CODE --name NAME`")
            }
            return Registry(path: path, keyFile: keyPath, key: key, settings: settings, pool: pool)
        }
    }

    private init(path: String, keyFile: String, key: RegistryKey?, settings: RegistrySettings, pool: DatabasePool) {
        self.path = path
        self.keyFile = keyFile
        self.key = key
        self.settings = settings
        self.pool = pool
    }

    /// The key, or `key_missing` naming the key file.
    func requireKey() throws(RegistryError) -> RegistryKey {
        guard let key else {
            throw RegistryError(.internalError, reason: .keyMissing, field: "keyFile",
                                message: "this needs the registry's key, and there is no key file at \(keyFile): name it with --key-file or REGISTRY_KEY_FILE")
        }
        return key
    }

    /// The key that every connection of a pool installs as SQL functions: set once the
    /// key is known (a migration may make it after the pool has opened).
    final class KeyBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: RegistryKey?
        init(_ key: RegistryKey?) { stored = key }
        var key: RegistryKey? {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }

    /// Opens the file, brings its schema up to date and installs the key's SQL functions.
    /// - Parameter checkKey: refuse a key that is not the database's, or a database that
    ///   has no key check (a registry without one would take any key).
    /// - Returns: the pool and the key (`nil` when there is no key file).
    private static func openDatabase(path: String, keyPath: String, checkKey: Bool) throws(RegistryError) -> (DatabasePool, RegistryKey?, KeyBox) {
        let loaded = try RegistryKey.load(path: keyPath)
        var key = loaded
        let box = KeyBox(key)
        let pool = try openPool(path: path, keyPath: keyPath, box: box)
        try storageErrors {
            try Migrations.prepare(pool, key: key) { () throws(RegistryError) -> RegistryKey in
                // An older database being sealed for the first time gets its key now.
                let created = try RegistryKey.create(path: keyPath)
                key = created
                return created
            }
        }
        if loaded == nil && key != nil {
            // A migration made the key: every later statement gets it too.
            try install(key, keyPath: keyPath, in: pool, box: box)
        }
        if checkKey, let key {
            try verifyKeyCheck(pool, key: key, keyPath: keyPath)
        }
        return (pool, key, box)
    }

    /// Refuses a key that is not the one the database was sealed with, and a database
    /// whose key check was removed.
    private static func verifyKeyCheck(_ pool: DatabasePool, key: RegistryKey, keyPath: String) throws(RegistryError) {
        // On the writer, as the schema version was read (``Migrations/prepare(_:key:createKey:)``).
        let stored = try storageErrors { try pool.writeWithoutTransaction { try Row.fetchOne($0, sql: "SELECT key_check FROM registry WHERE id = 1") } }
        guard let stored else { return }
        guard let check = stored[0] as String? else {
            throw RegistryError(.internalError, reason: .keyCheckMissing, field: "keyFile",
                                message: "the database holds no key check, so no key can be told to be its own: it was changed behind the registry's back; restore a backup")
        }
        if check != key.checkValue {
            throw RegistryError(.internalError, reason: .keyMismatch, field: "keyFile",
                                message: "the key file \(keyPath) is not this registry's key: name the right one with --key-file or REGISTRY_KEY_FILE")
        }
    }

    /// Puts `key` in `box` for new connections, installs it on the writer, and closes the
    /// readers opened before (they get it when opened again).
    private static func install(_ key: RegistryKey?, keyPath: String, in pool: DatabasePool, box: KeyBox) throws(RegistryError) {
        box.key = key
        try storageErrors { try pool.writeWithoutTransaction { PersonalDataCipher.install(in: $0, key: key, keyFile: keyPath) } }
        pool.invalidateReadOnlyConnections()
    }

    /// SQLite's process-wide settings, made once, before the first connection opens (SQLite
    /// ignores them afterwards): its memory statistics off (`Sources/CSQLiteSetup`), so that
    /// its allocations take no process-wide mutex. Read at the start of every pool opened.
    static let sqliteSetUp: Void = { _ = registry_sqlite_memory_statistics_off() }()

    /// How many reader connections the database pool keeps open (and so how many reads run at once).
    public static let readerCount = 4

    private static func openPool(path: String, keyPath: String, box: KeyBox) throws(RegistryError) -> DatabasePool {
        _ = sqliteSetUp
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.foreignKeysEnabled = true
        config.label = "registry"
        config.maximumReaderCount = readerCount
        config.prepareDatabase { db in
            PersonalDataCipher.install(in: db, key: box.key, keyFile: keyPath)
            if db.configuration.readonly {
                // Readers serve exports, checks and reports: one pass over many pages, so a
                // small page cache; a sort they need (the roster's order, a recount) spills
                // to temporary files instead of growing in memory with the county (a
                // million-resident roster sorted in memory took 242 MB).
                try db.execute(sql: "PRAGMA cache_size = -4096; PRAGMA temp_store = FILE")
            }
        }
        return try storageErrors {
            let previous = umask(0o077)
            defer { umask(previous) }
            let pool = try DatabasePool(path: path, configuration: config)
            try pool.writeWithoutTransaction { db in
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
            return pool
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
        try perform(method: method, params: params, as: .localAdmin(actor))
    }

    /// Runs the request `method` for `principal`: its role must permit the method, and the
    /// objects it touches must lie in the principal's areas (lists leave out the rest).
    public func perform(method: String, params: JSONValue?, as principal: Principal) throws(RegistryError) -> JSONValue {
        try performGroup(as: principal) { group throws(RegistryError) in
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
        try performGroup(as: .localAdmin(actor), isolation: isolation, body)
    }

    /// ``performGroup(operator:isolation:_:)`` for `principal`: every request of the group
    /// is checked against its role and areas.
    public func performGroup<T>(as principal: Principal, isolation: Isolation = .savepoints,
                                _ body: (Group) throws(RegistryError) -> T) throws(RegistryError) -> T {
        try storageErrors {
            var output: Result<T, RegistryError>!
            var isolation = isolation
            while true {
                let state = Group.State()
                try pool.writeWithoutTransaction { db in
                    defer { state.kept.release() }
                    try db.inTransaction(.immediate) {
                        let group = Group(registry: self, db: db, principal: principal, today: .today(), now: Timestamp.now(),
                                          isolation: isolation, state: state)
                        // A month begun since the last write is taken first (one index lookup
                        // each otherwise): its counts are those before this group's changes.
                        state.monthsTaken.latest = .some(try PopulationMonths.extend(db, through: group.today)?.description)
                        try RentalCounts.extend(db, through: group.today)
                        do throws(RegistryError) {
                            output = .success(try body(group))
                            if state.replayNeeded { return .rollback }
                            try storageErrors { try state.pendingShares.flush(db) }
                            return .commit
                        } catch {
                            output = .failure(error)
                            return .rollback
                        }
                    }
                }
                guard state.replayNeeded else { break }
                isolation = .savepoints
            }
            return try output.get()
        }
    }

    /// Commits an audit entry, then runs `body` on a snapshot that holds exactly what the
    /// entry counted: the entry is on disk before the first record is read, let alone
    /// shown, and no change between the count and the read can make them differ.
    ///
    /// `count` runs in the write transaction that appends the entry made by `entry`;
    /// `body` runs on a reader connection whose snapshot is taken right after that commit,
    /// before any other write (GRDB's `asyncConcurrentRead`), and gets the entry's seq.
    /// Other writers wait only for the count, not for `body`.
    func auditedRead<T>(operator actor: String, count: (Database) throws(RegistryError) -> Int,
                        entry: (Int) -> AuditEntry,
                        _ body: @escaping (Database, Int64) throws(RegistryError) -> T) throws(RegistryError) -> T {
        let handoff = ReadHandoff<T>()
        let key = self.key
        do {
            let reader = UncheckedReader(body: body)
            try storageErrors {
                try pool.writeWithoutTransaction { db in
                    var seq: Int64 = 0
                    try db.inTransaction(.immediate) {
                        let counted = try count(db)
                        seq = try entry(counted).append(db, actor: actor, at: Timestamp.now(), key: key)
                        return .commit
                    }
                    pool.asyncConcurrentRead { [seq] snapshot in
                        do {
                            let db = try snapshot.get()
                            handoff.outcome = .success(try reader.body(db, seq))
                        } catch {
                            handoff.outcome = .failure(RegistryError.fromDatabase(error))
                        }
                        handoff.done.signal()
                    }
                }
            }
            handoff.done.wait()
            return try handoff.outcome!.get()
        }
    }

    /// Runs read-only requests (``PreparedRequest/isReadOnly``) for `principal` on a reader
    /// connection, in one read transaction: they neither wait for nor block the writer.
    public func readGroup<T: Sendable>(as principal: Principal, _ body: @escaping @Sendable (Group) -> T) async throws(RegistryError) -> T {
        do {
            return try await pool.read { db in
                let state = Group.State()
                defer { state.kept.release() }
                return body(Group(registry: self, db: db, principal: principal, today: .today(), now: Timestamp.now(),
                                  isolation: .optimistic, state: state))
            }
        } catch {
            throw RegistryError.fromDatabase(error)
        }
    }

    /// ``readGroup(as:_:)`` from a thread that may block, for the account of an API token
    /// looked up in the same read transaction. `nil` when the token stands for no live account.
    public func readGroupSync<T>(token: String, _ body: (Group) -> T) throws(RegistryError) -> T? {
        try storageErrors {
            try pool.read { db in
                guard let principal = try self.principal(token: token, now: Date(), db) else { return nil }
                let state = Group.State()
                defer { state.kept.release() }
                return body(Group(registry: self, db: db, principal: principal, today: .today(), now: Timestamp.now(),
                                  isolation: .optimistic, state: state))
            }
        }
    }

    /// Runs a bulk load (`body`) with SQLite's sorter spilling to temporary files: the
    /// indexes an import rebuilds at its end are sorted in pieces of the page cache's size,
    /// instead of whole in memory (a million residents' ledger index alone is about 60 MB).
    /// Afterwards the temporary store is in memory again, as requests' savepoint journals
    /// want it.
    func sortingOnDisk<T>(_ body: () throws -> T) throws -> T {
        try storageErrors { try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA temp_store = FILE") } }
        defer { try? pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA temp_store = MEMORY") } }
        return try body()
    }

    /// Runs read-only work in one read transaction on a reader connection (a consistent
    /// snapshot that does not block writers).
    public func read<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        try storageErrors { try pool.read(body) }
    }

    /// Requests performed inside one transaction of ``Registry/performGroup(operator:_:)``.
    public struct Group {
        let registry: Registry
        let db: Database
        /// Who acts; checked before every request.
        let principal: Principal
        /// The principal's username, recorded as `operator`.
        var actor: String { principal.username }
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
            /// The statements run for every request or row, prepared once per transaction.
            let kept = KeptStatements()
            /// The unit of the last registration, for the next one (forgotten before anything else).
            let unitMemo = UnitMemo()
            /// The latest month taken as this transaction began (``PopulationMonths/Taken``).
            let monthsTaken = PopulationMonths.Taken()
            /// Population shares of the group's new residences, written before the commit.
            let pendingShares = PendingShares()
            /// The population's triggers are set aside and it is counted again before the
            /// commit (``SuspendedPopulationCounts``): new residences need not be counted.
            var populationSuspended = false
        }

        var context: OperationContext {
            OperationContext(db: db, settings: registry.settings, principal: principal, today: today, now: now, chainTips: state.chainTips, kept: state.kept, unitMemo: state.unitMemo, monthsTaken: state.monthsTaken,
                             pendingShares: state.pendingShares, populationSuspended: state.populationSuspended,
                             key: registry.key, keyFile: registry.keyFile)
        }

        /// The same group, its requests run for `principal` (a group commit serves
        /// requests of many signed-in users in one transaction).
        public func acting(as principal: Principal) -> Group {
            Group(registry: registry, db: db, principal: principal, today: today, now: now, isolation: isolation, state: state)
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
            // Anything but a registration may read the counts or change them.
            let holding = Request.leavesSharesPending
            do throws(RegistryError) {
                try Authorization.check(principal, Request.method)
                if !holding { try storageErrors { try state.pendingShares.flush(db) } }
            } catch {
                return .failure(error)
            }
            // Only a registration may use the unit a registration before it found.
            if Request.self != RegisterResident.self { state.unitMemo.forget() }
            state.pendingShares.beginRequest(holding: holding)
            if isolation != .savepoints && !state.savepointsFromNowOn {
                let changesBefore = db.totalChangesCount
                do {
                    let result = try request.execute(in: context)
                    state.pendingShares.acceptRequest()
                    return .success(result)
                } catch {
                    state.pendingShares.discardRequest(rolledBack: false)
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
                state.pendingShares.acceptRequest()
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
                state.pendingShares.discardRequest(rolledBack: true)
                return .failure(failure)
            }
        }
    }
}

/// The outcome of a read run on a reader's thread, handed to the thread waiting for it.
private final class ReadHandoff<T>: @unchecked Sendable {
    var outcome: Result<T, RegistryError>?
    let done = DispatchSemaphore(value: 0)
}

/// A read's body carried to a reader's thread while its caller waits for it.
private struct UncheckedReader<T>: @unchecked Sendable {
    let body: (Database, Int64) throws(RegistryError) -> T
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
                return RegistryError(.internalError, reason: .keyMissing, field: "keyFile",
                                     message: String(message.dropFirst(PersonalDataCipher.keyMissingPrefix.count)))
            }
            if db.resultCode == .SQLITE_CONSTRAINT {
                return .conflict(.constraintViolated, "the database refused the change: \(db.message ?? "constraint failed")")
            }
            return .storage("database error: \(db.message ?? "\(db.resultCode)")")
        }
        return .storage("\(error)")
    }
}
