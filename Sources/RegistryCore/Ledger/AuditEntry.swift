import GRDB

/// Who looked at full ID numbers, or exported the ledger, and why. Append-only.
struct AuditEntry: Sendable {
    var action: AuditAction
    var purpose: String?
    /// The method or command that showed the records (`resident.get`, `ledger export`).
    var method: String
    /// The request's filters as compact JSON, so that an auditor can see what was asked.
    var filters: JSONValue
    /// How many records were shown or written.
    var count: Int

    /// Appends the entry in the current transaction.
    func append(_ db: Database, actor: String, at: String) throws {
        let tip = try HashChain.tip(db, HashChain.audit)
        let values: [JSONValue] = [.int(tip.seq + 1), .string(at), .string(actor), .string(action.rawValue), .optional(purpose),
                                   .string(method), .string(JSONWriter.string(filters)), .int(Int64(count))]
        try db.cachedStatement(sql: "INSERT INTO audit_entry (seq, at, operator, action, purpose, method, filters, count, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [tip.seq + 1, at, actor, action.rawValue, purpose, method, JSONWriter.string(filters), count,
                                 HashChain.link(previous: tip.hash, values: values)])
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
        let trimmed = purpose?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.purpose = (trimmed?.isEmpty ?? true) ? nil : trimmed
        if self.reveal && self.purpose == nil {
            throw RegistryError(.forbidden, reason: "purpose_required", field: "purpose",
                                message: "purpose: revealing full ID numbers needs a stated purpose")
        }
    }

    /// Records the reveal (when there was one) of `count` records.
    func audit(_ context: OperationContext, method: String, filters: JSONValue, count: Int) throws {
        guard reveal else { return }
        try AuditEntry(action: .reveal, purpose: purpose, method: method, filters: filters, count: count)
            .append(context.db, actor: context.actor, at: context.now)
    }
}
