import GRDB

/// What each role may call, and the refusals: one check every request passes through,
/// whatever the front end (``Registry/Group``), before its operation runs; operations then
/// check the areas of the objects they touch (``OperationContext/requireInside(_:field:)``)
/// and lists leave out what is outside.
///
/// | role | may |
/// |---|---|
/// | admin | everything |
/// | clerk | everything but `area.add` and `audit.list` |
/// | liaison | reads of people, units and the ledger (`unit.get`, `household.get`, `resident.get`, `resident.find`, `ledger.*`, `worklist.*`), exports, reveals, and the aggregates |
/// | viewer | the aggregates: `area.list`, `metrics.*`, `analysis.*` |
public enum Authorization {
    /// The pseudo-methods of exports (the command line's and the web service's `/ledger`).
    public static let ledgerExport = "ledger.export"

    /// Methods every role may call: aggregates, readable for every area.
    static func isAggregate(_ method: String) -> Bool {
        method == "area.list" || method.hasPrefix("metrics.") || method.hasPrefix("analysis.")
    }

    /// Whether `role` may call `method`.
    public static func permits(_ role: Role, _ method: String) -> Bool {
        if isAggregate(method) { return true }
        switch role {
        case .admin:
            return true
        case .clerk:
            return method != "area.add" && method != "audit.list"
        case .liaison:
            return ["unit.get", "unit.find", "household.get", "resident.get", "resident.find", ledgerExport].contains(method)
                || method.hasPrefix("ledger.") || method.hasPrefix("worklist.")
        case .viewer:
            return false
        }
    }

    /// Refuses `method` when the principal's role may not call it (`role_forbids`).
    public static func check(_ principal: Principal, _ method: String) throws(RegistryError) {
        guard permits(principal.role, method) else {
            throw RegistryError(.forbidden, reason: .roleForbids,
                                message: "role \(principal.role.rawValue) may not call \(method)")
        }
    }

    /// The refusal of an object outside the principal's areas (`out_of_area`).
    static func outOfArea(_ what: String, field: String) -> RegistryError {
        RegistryError(.forbidden, reason: .outOfArea, field: field, message: "\(field): \(what) is outside your areas")
    }
}

extension OperationContext {
    /// Refuses a unit outside the principal's areas (`out_of_area` on `field`).
    func requireInside(_ unit: UnitRecord, field: String = "unitId") throws(RegistryError) {
        guard principal.contains(grid: unit.grid, community: unit.community, subdistrict: unit.subdistrict) else {
            throw Authorization.outOfArea("unit \(unit.unitId)", field: field)
        }
    }
}

extension OperationContext {
    /// The SQL conditions that keep rows of a table aliased `alias` (with `grid`,
    /// `community` and `subdistrict` columns) inside `area`, when one is asked for, and inside
    /// the principal's areas: what every list of the worklists leaves out.
    func placeConditions(area: AreaRecord?, alias: String = "u") -> (sql: [String], arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let area {
            let condition = area.containsCondition(alias: alias)
            conditions.append(condition.sql)
            arguments += condition.arguments
        }
        if let scope = principal.scopeCondition(alias: alias) {
            conditions.append(scope.sql)
            arguments += scope.arguments
        }
        return (conditions, arguments)
    }

    /// ``placeConditions(area:alias:)`` for an area code.
    /// - Throws: `unknown_area` on `area`.
    func placeConditions(area code: String?, alias: String = "u") throws -> (sql: [String], arguments: StatementArguments) {
        placeConditions(area: try code.map { try AreaRecord.require(db, code: $0, field: "area") }, alias: alias)
    }
}
