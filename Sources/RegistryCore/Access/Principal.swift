import GRDB

/// The roles of the web service's accounts.
public enum Role: String, ContractEnum {
    /// Everything, in every area.
    case admin
    /// Registers and changes units, households and residents; reads, reveals and exports
    /// within its areas.
    case clerk
    /// Reads people, units and the ledger, reveals and exports, within its areas; changes nothing.
    case liaison
    /// Aggregates only: areas, metrics, analyses.
    case viewer
}

/// Who acts: the account's name (recorded as `operator`), its role and its areas.
///
/// Every request runs for a principal, and the core checks it once for every front end
/// (``Authorization``): the role's methods, and the areas of the objects a request touches.
/// The command line and `serve --stdio` act for whoever holds the database and its key, as
/// ``localAdmin(_:)``; the web service for the signed-in account.
///
/// ```swift
/// let clerk = Principal(username: "xiushui", role: .clerk, areas: [xiushui])
/// try registry.perform(method: "unit.get", params: params, as: clerk)   // out_of_area outside Xiushui
/// ```
public struct Principal: Sendable, Equatable {
    /// The username, recorded as `operator` on every event and audit entry.
    public var username: String
    public var role: Role
    /// The areas the account acts in; empty for the whole county.
    public var areas: [AreaScope]

    public init(username: String, role: Role, areas: [AreaScope]) {
        self.username = username
        self.role = role
        self.areas = areas
    }

    /// The trusted local administrator: the command line and `serve --stdio`, run by the
    /// account that holds the database and its key file. `operator` only names who acts.
    public static func localAdmin(_ operatorName: String) -> Principal {
        Principal(username: operatorName, role: .admin, areas: [])
    }

    /// Whether the account acts in the whole county.
    public var isCountyWide: Bool { areas.isEmpty || areas.contains { $0.level == .county } }

    /// Whether a unit in this grid (of this community and subdistrict) is inside the account's areas.
    public func contains(grid: String, community: String, subdistrict: String) -> Bool {
        isCountyWide || areas.contains { $0.contains(grid: grid, community: community, subdistrict: subdistrict) }
    }

    /// The SQL condition that keeps rows inside the account's areas, given the SQL
    /// expressions of a row's grid, community and subdistrict codes; `nil` county-wide.
    func scopeCondition(grid: String, community: String, subdistrict: String) -> (sql: String, arguments: StatementArguments)? {
        guard !isCountyWide else { return nil }
        var parts: [String] = []
        var arguments: StatementArguments = []
        for scope in areas {
            switch scope.level {
            case .county: return nil
            case .subdistrict: parts.append("\(subdistrict) = ?")
            case .community: parts.append("\(community) = ?")
            case .grid: parts.append("\(grid) = ?")
            }
            arguments += [scope.code]
        }
        return ("(" + parts.joined(separator: " OR ") + ")", arguments)
    }

    /// ``scopeCondition(grid:community:subdistrict:)`` on a table aliased `alias` with the
    /// three columns (`unit`, `ledger_event`).
    func scopeCondition(alias: String) -> (sql: String, arguments: StatementArguments)? {
        scopeCondition(grid: "\(alias).grid", community: "\(alias).community", subdistrict: "\(alias).subdistrict")
    }
}

/// One of an account's areas: its code and level.
public struct AreaScope: Sendable, Equatable {
    public var code: String
    public var level: AreaLevel

    public init(code: String, level: AreaLevel) {
        self.code = code
        self.level = level
    }

    /// Whether a unit in this grid (of this community and subdistrict) lies in the area.
    public func contains(grid: String, community: String, subdistrict: String) -> Bool {
        switch level {
        case .county: true
        case .subdistrict: subdistrict == code
        case .community: community == code
        case .grid: grid == code
        }
    }
}
