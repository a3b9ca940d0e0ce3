import Crypto
import Foundation
import GRDB
import HummingbirdBcrypt

/// An account of the web service, as listed.
public struct AccountInfo: Sendable, Equatable, JSONRepresentable {
    public var username: String
    public var displayName: String?
    public var role: Role
    public var areas: [String]
    public var disabled: Bool
    public var createdAt: String

    public var json: JSONValue {
        .object([("username", .string(username)), ("displayName", .optional(displayName)), ("role", .string(role.rawValue)),
                 ("areas", .array(areas.map(JSONValue.string))), ("disabled", .bool(disabled)), ("createdAt", .string(createdAt))])
    }
}

/// An API token, as listed (never the token itself: only its hash is stored).
public struct TokenInfo: Sendable, JSONRepresentable {
    public var tokenId: Int64
    public var username: String
    public var label: String?
    public var createdAt: String
    public var expiresAt: String?
    public var revokedAt: String?

    public var json: JSONValue {
        .object([("tokenId", .int(tokenId)), ("username", .string(username)), ("label", .optional(label)),
                 ("createdAt", .string(createdAt)), ("expiresAt", .optional(expiresAt)), ("revokedAt", .optional(revokedAt))])
    }
}

/// A signed-in browser: who, and the CSRF token its forms must carry.
public struct WebSession: Sendable {
    public var principal: Principal
    public var displayName: String?
    /// The value every changing form carries in its hidden `csrf` field.
    public var csrf: String
}

/// The accounts of the web service: users with a role and areas, API tokens, sessions,
/// sign-in with lockout. Every change is audited (`user_change`, `token_change`, `login`,
/// `login_failed`).
///
/// - Passwords: at least 10 characters and not the username; stored only as bcrypt hashes
///   (cost 12).
/// - API tokens and session ids: 256 bits from the system's random generator, shown once,
///   stored only as SHA-256 hashes.
/// - Lockout: after 5 failed sign-ins for one username within 15 minutes, that username is
///   refused for 15 minutes (`locked_out`), even with the right password.
/// - Sessions end 30 minutes after their last request, 8 hours after signing in, at sign-out,
///   or at once when the account is disabled.
public enum Accounts {
    static let bcryptCost: UInt8 = 12
    public static let idleLimit: TimeInterval = 30 * 60
    public static let absoluteLimit: TimeInterval = 8 * 3600
    public static let lockoutFailures = 5
    public static let lockoutWindow: TimeInterval = 15 * 60

    /// A username: 3 to 32 characters of `a-z 0-9 . _ -`.
    public static func username(_ value: String) throws(RegistryError) -> String {
        guard (3...32).contains(value.utf8.count),
              value.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }) else {
            throw RegistryError.invalid("username", "must be 3 to 32 characters of a-z, 0-9, '.', '_' and '-'")
        }
        return value
    }

    /// A password: at least 10 characters, not the username.
    static func password(_ value: String, username: String) throws(RegistryError) -> String {
        guard value.count >= 10 else {
            throw RegistryError.invalid("password", "must be at least 10 characters", reason: .invalidPassword)
        }
        guard value.lowercased() != username.lowercased() else {
            throw RegistryError.invalid("password", "must not be the username", reason: .invalidPassword)
        }
        return value
    }

    /// 32 random bytes as 64 hex digits: a session id, an API token, a CSRF token.
    static func randomToken() -> String {
        Hex.string(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The stored form of a token or session id.
    static func digest(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }
}

extension Registry {
    // MARK: - Users

    /// Adds an account. `areas` are area codes of any level (none: the whole county).
    public func addUser(username: String, role: Role, areas: [String], displayName: String?, password: String,
                        operator actor: String) throws(RegistryError) -> AccountInfo {
        let username = try Accounts.username(username)
        let password = try Accounts.password(password, username: username)
        let displayName = try displayName.map { d throws(RegistryError) in try TextRules.text(d, field: "displayName", maxLength: 64) }
        let hash = Bcrypt.hash(password, cost: Accounts.bcryptCost)
        return try performGroup(operator: actor) { group throws(RegistryError) in
            try storageErrors {
                let db = group.db
                if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM account WHERE username = ?)", arguments: [username]) == true {
                    throw RegistryError.conflict(.duplicateUser, field: "username", "username: \(username) exists")
                }
                for code in areas { _ = try AreaRecord.require(db, code: code, field: "area") }
                try db.execute(sql: "INSERT INTO account (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [username, displayName, role.rawValue, hash, group.now])
                let id = db.lastInsertedRowID
                for code in Set(areas) {
                    try db.execute(sql: "INSERT INTO account_area (account, area) VALUES (?, ?)", arguments: [id, code])
                }
                try group.audit(AuditEntry(action: .userChange, purpose: nil, method: "user add",
                                           filters: .object([("username", .string(username)), ("role", .string(role.rawValue)),
                                                             ("areas", .array(areas.map(JSONValue.string)))]), count: 1))
            }
            return AccountInfo(username: username, displayName: displayName, role: role, areas: areas, disabled: false, createdAt: group.now)
        }
    }

    /// Every account, by username.
    public func listUsers() throws(RegistryError) -> [AccountInfo] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.username, a.display_name, a.role, a.disabled, a.created_at,
                       (SELECT group_concat(area, ',') FROM (SELECT area FROM account_area WHERE account = a.id ORDER BY area))
                FROM account a ORDER BY a.username
                """).map { row in
                AccountInfo(username: row[0], displayName: row[1], role: Role(rawValue: row[2]) ?? .viewer,
                            areas: (row[5] as String?).map { $0.split(separator: ",").map(String.init) } ?? [],
                            disabled: row[3], createdAt: row[4])
            }
        }
    }

    /// Disables or enables an account; disabling ends its sessions and stops its tokens at once.
    public func setDisabled(username: String, _ disabled: Bool, operator actor: String) throws(RegistryError) {
        try performGroup(operator: actor) { group throws(RegistryError) in
            try storageErrors {
                let id = try Self.accountId(username, group.db)
                try group.db.execute(sql: "UPDATE account SET disabled = ? WHERE id = ?", arguments: [disabled, id])
                if disabled { try group.db.execute(sql: "DELETE FROM web_session WHERE account = ?", arguments: [id]) }
                try group.audit(AuditEntry(action: .userChange, purpose: nil, method: disabled ? "user disable" : "user enable",
                                           filters: .object([("username", .string(username))]), count: 1))
            }
        }
    }

    /// Sets a new password; the account's sessions end.
    public func setPassword(username: String, password: String, operator actor: String) throws(RegistryError) {
        let password = try Accounts.password(password, username: username)
        let hash = Bcrypt.hash(password, cost: Accounts.bcryptCost)
        try performGroup(operator: actor) { group throws(RegistryError) in
            try storageErrors {
                let id = try Self.accountId(username, group.db)
                try group.db.execute(sql: "UPDATE account SET password_hash = ? WHERE id = ?", arguments: [hash, id])
                try group.db.execute(sql: "DELETE FROM web_session WHERE account = ?", arguments: [id])
                try group.audit(AuditEntry(action: .userChange, purpose: nil, method: "user password",
                                           filters: .object([("username", .string(username))]), count: 1))
            }
        }
    }

    static func accountId(_ username: String, _ db: Database) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM account WHERE username = ?", arguments: [username]) else {
            throw RegistryError.notFound(.unknownUser, field: "username", "username: no account \(username)")
        }
        return id
    }

    // MARK: - Tokens

    /// Creates an API token for `username`, valid for `expiresDays` days (none: until revoked).
    /// - Returns: the token (shown once; only its hash is stored) and its id.
    public func createToken(username: String, label: String?, expiresDays: Int?, operator actor: String,
                            now: Date = Date()) throws(RegistryError) -> (token: String, tokenId: Int64) {
        let label = try label.map { l throws(RegistryError) in try TextRules.text(l, field: "label", maxLength: 100) }
        if let expiresDays, !(1...3650).contains(expiresDays) { throw RegistryError.invalid("expiresDays", "must be 1 to 3650") }
        let token = Accounts.randomToken()
        return try performGroup(operator: actor) { group throws(RegistryError) in
            try storageErrors {
                let id = try Self.accountId(username, group.db)
                try group.db.execute(sql: "INSERT INTO api_token (account, token_hash, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                                     arguments: [id, Accounts.digest(token), label, Timestamp.format(now),
                                                 expiresDays.map { Timestamp.format(now.addingTimeInterval(Double($0) * 86400)) }])
                let tokenId = group.db.lastInsertedRowID
                try group.audit(AuditEntry(action: .tokenChange, purpose: nil, method: "token create",
                                           filters: .object([("username", .string(username)), ("tokenId", .int(tokenId))]), count: 1))
                return (token, tokenId)
            }
        }
    }

    /// Every token (revoked ones too), by id.
    public func listTokens() throws(RegistryError) -> [TokenInfo] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.id, a.username, t.label, t.created_at, t.expires_at, t.revoked_at
                FROM api_token t JOIN account a ON a.id = t.account ORDER BY t.id
                """).map { TokenInfo(tokenId: $0[0], username: $0[1], label: $0[2], createdAt: $0[3], expiresAt: $0[4], revokedAt: $0[5]) }
        }
    }

    /// Revokes a token: it stops working at once.
    public func revokeToken(id: Int64, operator actor: String) throws(RegistryError) {
        try performGroup(operator: actor) { group throws(RegistryError) in
            try storageErrors {
                try group.db.execute(sql: "UPDATE api_token SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?", arguments: [group.now, id])
                guard group.db.changesCount == 1 else {
                    throw RegistryError.notFound(.unknownToken, field: "tokenId", "tokenId: no token \(id)")
                }
                try group.audit(AuditEntry(action: .tokenChange, purpose: nil, method: "token revoke",
                                           filters: .object([("tokenId", .int(id))]), count: 1))
            }
        }
    }

    /// The principal an API token acts for, or `nil` for a token that is unknown, revoked,
    /// expired, or of a disabled account.
    public func principal(forToken token: String, now: Date = Date()) throws(RegistryError) -> Principal? {
        try read { db in try self.principal(token: token, now: now, db) }
    }

    /// ``principal(forToken:now:)`` inside a read the caller holds: the web service looks a
    /// token up with every request, through ``TokenPrincipals``.
    func principal(token: String, now: Date, _ db: Database) throws -> Principal? {
        try tokenPrincipals.principal(token: token, now: now, db)
    }

    static func principal(account: Int64, _ db: Database) throws -> Principal? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT username, role FROM account WHERE id = ? AND disabled = 0"),
                                         arguments: [account]) else {
            return nil
        }
        let areas = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT x.area, r.level FROM account_area x JOIN area r ON r.code = x.area WHERE x.account = ? ORDER BY x.area
            """), arguments: [account]).map { AreaScope(code: $0[0], level: AreaLevel(rawValue: $0[1]) ?? .grid) }
        return Principal(username: row[0], role: Role(rawValue: row[1]) ?? .viewer, areas: areas)
    }

    // MARK: - Sessions

    /// Signs in: checks the lockout, then the password.
    /// - Returns: the new session's id (for the cookie; only its hash is stored) and the session.
    /// - Throws: `locked_out` after 5 failures within 15 minutes (even with the right
    ///   password); `bad_credentials` for a wrong username or password (one refusal for
    ///   both, so that it does not tell which was wrong).
    public func signIn(username: String, password: String, now: Date = Date()) throws(RegistryError) -> (sessionId: String, session: WebSession) {
        let name = (try? Accounts.username(username)) ?? "(invalid)"
        let since = Timestamp.format(now.addingTimeInterval(-Accounts.lockoutWindow))
        let failures = try read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM login_failure WHERE username = ? AND at > ?", arguments: [name, since]) ?? 0
        }
        if failures >= Accounts.lockoutFailures {
            try recordSignIn(name, ok: false, note: "locked", now: now)
            throw RegistryError(.forbidden, reason: .lockedOut, field: "username",
                                message: "too many failed sign-ins for this username: try again in 15 minutes")
        }
        let account = try read { db in
            try Row.fetchOne(db, sql: "SELECT id, password_hash, display_name FROM account WHERE username = ? AND disabled = 0", arguments: [name])
        }
        // A hash is checked even for an unknown user, so that timing does not tell which was wrong.
        let hash = account?[1] as String? ?? Self.decoyHash
        let matches = Bcrypt.verify(password, hash: hash) && account != nil
        guard matches, let account else {
            try recordSignIn(name, ok: false, note: "bad credentials", now: now)
            throw RegistryError(.forbidden, reason: .badCredentials, message: "the username or the password is wrong")
        }
        let sessionId = Accounts.randomToken(), csrf = Accounts.randomToken()
        let principal: Principal? = try performGroup(operator: name) { group throws(RegistryError) in
            try storageErrors {
                let at = Timestamp.format(now)
                try group.db.execute(sql: "INSERT INTO web_session (id_hash, account, csrf, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
                                     arguments: [Accounts.digest(sessionId), account[0] as Int64, csrf, at, at])
                try group.db.execute(sql: "DELETE FROM login_failure WHERE username = ?", arguments: [name])
                try group.db.execute(sql: "DELETE FROM web_session WHERE last_seen_at < ? OR created_at < ?",
                                     arguments: [Timestamp.format(now.addingTimeInterval(-Accounts.idleLimit)),
                                                 Timestamp.format(now.addingTimeInterval(-Accounts.absoluteLimit))])
                try group.audit(AuditEntry(action: .login, purpose: nil, method: "login", filters: .object([]), count: 1))
                return try Self.principal(account: account[0], group.db)
            }
        }
        guard let principal else { throw RegistryError(.forbidden, reason: .badCredentials, message: "the username or the password is wrong") }
        return (sessionId, WebSession(principal: principal, displayName: account[2], csrf: csrf))
    }

    /// A bcrypt hash of a random text, checked against for unknown usernames.
    private static let decoyHash = Bcrypt.hash(Accounts.randomToken(), cost: Accounts.bcryptCost)

    private func recordSignIn(_ username: String, ok: Bool, note: String, now: Date) throws(RegistryError) {
        try performGroup(operator: username) { group throws(RegistryError) in
            try storageErrors {
                try group.db.execute(sql: "INSERT INTO login_failure (username, at) VALUES (?, ?)", arguments: [username, Timestamp.format(now)])
                try group.audit(AuditEntry(action: .loginFailed, purpose: nil, method: "login", filters: .object([("note", .string(note))]), count: 0))
            }
        }
    }

    /// The session with this id, or `nil` when it is unknown, idle for 30 minutes, older
    /// than 8 hours, or its account is disabled. A live session's last request is noted
    /// (at most once a minute, to spare writes).
    public func session(id: String, now: Date = Date()) throws(RegistryError) -> WebSession? {
        let digest = Accounts.digest(id)
        guard let (session, stale) = try read({ db in try Self.liveSession(digest, now: now, db) }) else { return nil }
        if stale {
            try storageErrors { try pool.write { db in try Self.touchSession(digest, now: now, db) } }
        }
        return session
    }

    /// ``session(id:now:)`` from async code (async reads and write).
    public func sessionAsync(id: String, now: Date = Date()) async throws(RegistryError) -> WebSession? {
        let digest = Accounts.digest(id)
        do {
            guard let (session, stale) = try await pool.read({ db in try Self.liveSession(digest, now: now, db) }) else { return nil }
            if stale { try await pool.write { db in try Self.touchSession(digest, now: now, db) } }
            return session
        } catch {
            throw RegistryError.fromDatabase(error)
        }
    }

    /// The live session with this id hash, and whether its last request should be noted:
    /// the one statement of the session rules (idle and absolute limits, disabled accounts).
    private static func liveSession(_ digest: Data, now: Date, _ db: Database) throws -> (WebSession, stale: Bool)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT s.account, s.csrf, s.created_at, s.last_seen_at, a.display_name FROM web_session s
            JOIN account a ON a.id = s.account WHERE s.id_hash = ? AND a.disabled = 0
            """), arguments: [digest]) else { return nil }
        let lastSeen: String = row[3], created: String = row[2]
        guard lastSeen > Timestamp.format(now.addingTimeInterval(-Accounts.idleLimit)),
              created > Timestamp.format(now.addingTimeInterval(-Accounts.absoluteLimit)),
              let principal = try principal(account: row[0], db) else { return nil }
        return (WebSession(principal: principal, displayName: row[4], csrf: row[1]), lastSeen < Timestamp.format(now.addingTimeInterval(-60)))
    }

    private static func touchSession(_ digest: Data, now: Date, _ db: Database) throws {
        try db.execute(sql: "UPDATE web_session SET last_seen_at = ? WHERE id_hash = ?", arguments: [Timestamp.format(now), digest])
    }

    /// Ends a session (signing out).
    public func endSession(id: String) throws(RegistryError) {
        try storageErrors {
            try pool.write { db in try db.execute(sql: "DELETE FROM web_session WHERE id_hash = ?", arguments: [Accounts.digest(id)]) }
        }
    }
}
