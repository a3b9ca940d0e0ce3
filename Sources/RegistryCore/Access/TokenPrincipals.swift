import Foundation
import GRDB
import Synchronization

/// Who recent API tokens stand for, kept in memory by a running registry, so that a script's
/// next request with the same token reads one row instead of the token, its account and
/// the account's areas.
///
/// Every entry remembers the accounts' generation (the `account_generation` row, which the
/// schema's triggers count up with every change to an account, its areas or its tokens, in
/// that change's own transaction) it was read at. A lookup reads the generation in the
/// request's own read transaction and trusts an entry only when nothing has changed since:
/// a token revoked or an account disabled by *any* process — `registry token revoke` at the
/// command line included — stops working with the very next request. Expiry is checked on
/// every lookup. Unknown tokens are never kept.
///
/// ```swift
/// let principal = try cache.principal(token: token, now: Date(), db)   // nil: 401
/// ```
final class TokenPrincipals: Sendable {
    /// A token's account as read at `generation`.
    private struct Entry {
        var principal: Principal
        /// `api_token.expires_at`, or nil for a token that does not expire.
        var expiresAt: String?
        var generation: Int64
    }

    /// Entries kept at most; when full, the cache starts again empty (tokens are few: one per script).
    static let capacity = 1024
    private let entries = Mutex<[Data: Entry]>([:])

    /// The accounts' generation, as seen by the read transaction of `db`.
    static func generation(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT changes FROM account_generation WHERE id = 1")) ?? 0
    }

    /// The principal `token` acts for on `now`, or nil for a token that is unknown, revoked,
    /// expired, or of a disabled account.
    func principal(token: String, now: Date, _ db: Database) throws -> Principal? {
        let digest = Accounts.digest(token)
        let generation = try Self.generation(db)
        let kept = entries.withLock { $0[digest] }
        if let kept, kept.generation == generation {
            return Self.isLive(expiresAt: kept.expiresAt, now: now) ? kept.principal : nil
        }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT t.account, t.expires_at FROM api_token t JOIN account a ON a.id = t.account
            WHERE t.token_hash = ? AND t.revoked_at IS NULL AND a.disabled = 0
            """), arguments: [digest]),
              let principal = try Registry.principal(account: row[0], db) else {
            entries.withLock { _ = $0.removeValue(forKey: digest) }
            return nil
        }
        let expiresAt: String? = row[1]
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[digest] = Entry(principal: principal, expiresAt: expiresAt, generation: generation)
        }
        return Self.isLive(expiresAt: expiresAt, now: now) ? principal : nil
    }

    /// Whether a token with this `expires_at` is still valid on `now` (it expires at that instant).
    private static func isLive(expiresAt: String?, now: Date) -> Bool {
        guard let expiresAt else { return true }
        return expiresAt > Timestamp.format(now)
    }
}
