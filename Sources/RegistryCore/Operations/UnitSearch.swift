import GRDB

/// `unit.find` (the web service's unit search; not a JSON-RPC method of the contract):
/// units whose id is the text, or whose id or address contains it, within the account's
/// areas, by unit id, at most `limit`.
public struct FindUnits: RegistryRequest {
    public static let method = "unit.find"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case text, limit }

    public var text: String
    public var limit: PageLimit?

    public init(text: String, limit: Int = 50) throws(RegistryError) {
        self.text = text
        self.limit = try PageLimit(limit)
    }

    /// One unit found.
    public struct Item: Sendable {
        public var unitId: String, grid: String, address: String, kind: String, status: String
    }

    public struct Result: JSONRepresentable {
        public var units: [Item]
        public var json: JSONValue {
            .object([("units", .array(units.map {
                .object([("unitId", .string($0.unitId)), ("grid", .string($0.grid)), ("address", .string($0.address)),
                         ("kind", .string($0.kind)), ("status", .string($0.status))])
            }))])
        }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let text = WhiteSpace.trimmed(text)
        guard !text.isEmpty else { return Result(units: []) }
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        var conditions = ["(u.unit_id = ? OR u.unit_id LIKE ? ESCAPE '\\' OR u.address LIKE ? ESCAPE '\\')"]
        var arguments: StatementArguments = [text, "%\(escaped)%", "%\(escaped)%"]
        if let scope = context.principal.scopeCondition(alias: "u") {
            conditions.append(scope.sql)
            arguments += scope.arguments
        }
        arguments += [(limit ?? .standard).value]
        let rows = try Row.fetchAll(context.db, sql: """
            SELECT u.unit_id, u.grid, u.address, u.kind, u.status FROM unit u
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY u.unit_id LIMIT ?
            """, arguments: arguments)
        return Result(units: rows.map { Item(unitId: $0[0], grid: $0[1], address: $0[2], kind: $0[3], status: $0[4]) })
    }
}
