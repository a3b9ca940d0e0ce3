import GRDB

/// Who looked at full ID numbers, exported the ledger or copied the database, and why.
/// Append-only, and chained like the ledger (``HashChain``).
struct AuditEntry: Sendable {
    var action: AuditAction
    var purpose: String?
    /// The method or command that showed the records (`resident.get`, `ledger export`).
    var method: String
    /// The request's filters as compact JSON, so that an auditor can see what was asked.
    var filters: JSONValue
    /// How many records were shown or written.
    var count: Int
    /// The person a reveal of one person showed (the resident row), so that the trail
    /// names who was seen, not only a masked number.
    var resident: Int64? = nil

    /// Appends the entry in the current transaction, linked under `key`'s chain key.
    /// - Returns: the entry's seq.
    @discardableResult
    func append(_ db: Database, actor: String, at: String, key: RegistryKey?) throws -> Int64 {
        let linkKey = try HashChain.linkKey(HashChain.audit, key)
        let tip = try HashChain.tip(db, HashChain.audit)
        let filterText = JSONWriter.string(filters)
        // In HashChain.audit's column order.
        let values: [JSONValue] = [.int(tip.seq + 1), .string(at), .string(actor), .string(action.rawValue), .optional(purpose),
                                   .string(method), .string(filterText), .int(Int64(count)), .optional(resident)]
        try db.cachedStatement(sql: "INSERT INTO audit_entry (seq, at, operator, action, purpose, method, filters, count, resident, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [tip.seq + 1, at, actor, action.rawValue, purpose, method, filterText, count, resident,
                                 HashChain.link(previous: tip.hash, values: values, key: linkKey)])
        return tip.seq + 1
    }
}

/// The reveal switch of a request: full ID numbers only with a stated purpose.
struct Reveal: Sendable {
    let reveal: Bool
    let purpose: String?

    /// Checks the rule: `reveal: true` needs a non-empty `purpose`.
    /// - Throws: -32010 `purpose_required`.
    init(reveal: Bool?, purpose: String?) throws(RegistryError) {
        self.reveal = reveal ?? false
        self.purpose = try TextRules.purpose(purpose)
        if self.reveal && self.purpose == nil {
            throw RegistryError(.forbidden, reason: .purposeRequired, field: "purpose",
                                message: "purpose: revealing full ID numbers needs a stated purpose")
        }
    }

    /// Records the reveal (when there was one) of `count` records; `resident` names the
    /// one person shown, when it was one.
    func audit(_ context: OperationContext, method: String, filters: JSONValue, count: Int, resident: Int64? = nil) throws {
        guard reveal else { return }
        try AuditEntry(action: .reveal, purpose: purpose, method: method, filters: filters, count: count, resident: resident)
            .append(context.db, actor: context.actor, at: context.now, key: context.key)
    }
}
