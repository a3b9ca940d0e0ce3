import GRDB

/// `ledger.events`: a page of the ledger, filtered by area (any level) and an inclusive
/// date range, after the `seq` cursor `after`. ID numbers masked unless revealed with a purpose.
public struct LedgerEvents: RegistryRequest {
    public static let method = "ledger.events"
    public var isReadOnly: Bool { reveal != true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case area, from, to, after, limit, reveal, purpose }

    public var area: String?
    public var from: CivilDate?
    public var to: CivilDate?
    public var after: Int64?
    public var limit: PageLimit?
    public var reveal: Bool?
    public var purpose: String?

    public struct Result: JSONRepresentable {
        public var events: [JSONValue]
        public var next: Int64?
        public var json: JSONValue { .object([("events", .array(events)), ("next", .optional(next))]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let reveal = try Reveal(reveal: reveal, purpose: purpose)
        let limit = (limit ?? .standard).value
        let query = LedgerQuery(area: try area.map { try AreaRecord.require(context.db, code: $0, field: "area") },
                                from: from, to: to, after: after, scope: context.principal)
        let (sql, arguments) = query.sql(limit: limit + 1)
        let disclosure = Disclosure(reveal: reveal.reveal, key: try context.sealingKey())
        let rows = try context.db.cachedRows(sql: sql, arguments: arguments).map { row throws(RegistryError) in
            try LedgerEventRow(row: row, disclosure: disclosure)
        }
        let page = rows.prefix(limit)
        try reveal.audit(context, method: Self.method, filters: query.auditFilters, count: page.count)
        return Result(events: page.map(\.json),
                      next: rows.count > limit ? page.last?.seq : nil)
    }
}

/// `ledger.roster`: who lives where on `asOf` in an area, migrants only unless
/// `migrantOnly: false`. ID numbers masked unless revealed with a purpose.
public struct LedgerRoster: RegistryRequest {
    public static let method = "ledger.roster"
    public var isReadOnly: Bool { reveal != true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case asOf, area, migrantOnly, reveal, purpose }

    public var asOf: CivilDate
    public var area: String?
    public var migrantOnly: Bool?
    public var reveal: Bool?
    public var purpose: String?

    public struct Result: JSONRepresentable {
        public var residents: [JSONValue]
        public var json: JSONValue { .object([("residents", .array(residents))]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let reveal = try Reveal(reveal: reveal, purpose: purpose)
        let query = RosterQuery(asOf: asOf, area: try area.map { try AreaRecord.require(context.db, code: $0, field: "area") },
                                migrantOnly: migrantOnly ?? true, scope: context.principal)
        let (sql, arguments) = query.sql(settings: context.settings)
        let disclosure = Disclosure(reveal: reveal.reveal, key: try context.sealingKey())
        let rows = try context.db.cachedRows(sql: sql, arguments: arguments).map { row throws(RegistryError) in
            try RosterRow(row: row, disclosure: disclosure)
        }
        try reveal.audit(context, method: Self.method, filters: query.auditFilters, count: rows.count)
        return Result(residents: rows.map(\.json))
    }
}

/// `audit.list`: the audit trail of reveals and exports, paged by `seq`.
public struct ListAudit: RegistryRequest {
    public static let method = "audit.list"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case after, limit }

    public var after: Int64?
    public var limit: PageLimit?

    public struct Result: JSONRepresentable {
        public var entries: [JSONValue]
        public var next: Int64?
        public var json: JSONValue { .object([("entries", .array(entries)), ("next", .optional(next))]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let limit = (limit ?? .standard).value
        let rows = try context.db.cachedRows(sql: """
            SELECT seq, at, operator, action, purpose, count FROM audit_entry WHERE seq > ? ORDER BY seq LIMIT ?
            """, arguments: [after ?? 0, limit + 1])
        let page = rows.prefix(limit)
        return Result(
            entries: page.map {
                .object([("seq", .int($0[0])), ("at", .string($0[1])), ("operator", .string($0[2])),
                         ("action", .string($0[3])), ("purpose", .optional($0[4] as String?)), ("count", .int($0[5]))])
            },
            next: rows.count > limit ? page.last.map { $0[0] } : nil)
    }
}
