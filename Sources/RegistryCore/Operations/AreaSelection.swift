import GRDB

/// The areas a per-area report has one row for: every area of a level, optionally only
/// those under a parent, in code order. Shared by the registration rate and the analyzer.
struct AreaSelection {
    var level: AreaLevel
    var areas: [(code: String, name: String)]
    /// The parent the areas are under, if any.
    var parentArea: AreaRecord?
    /// A condition on `unit` (aliased `u`) restricting the counted units to the parent, if any.
    var unitCondition: (sql: String, arguments: StatementArguments) { condition(alias: "u") }

    /// The condition restricting rows of a table aliased `alias` (with `grid`, `community`
    /// and `subdistrict` columns: `unit`, `ledger_event`) to the parent, if any.
    func condition(alias: String) -> (sql: String, arguments: StatementArguments) {
        parentArea?.containsCondition(alias: alias) ?? ("1", [])
    }

    init(_ db: Database, level: AreaLevel, parent: String?) throws {
        self.level = level
        var sql = "SELECT code, name FROM area a WHERE a.level = ?"
        var arguments: StatementArguments = [level.rawValue]
        if let parent {
            let parentArea = try AreaRecord.require(db, code: parent, field: "parent")
            let under = parentArea.descendantCondition(alias: "a")
            sql += " AND " + under.sql
            arguments += under.arguments
            self.parentArea = parentArea
        }
        sql += " ORDER BY code"
        areas = try db.cachedRows(sql: sql, arguments: arguments).map { ($0[0], $0[1]) }
    }

    /// The `unit` column (aliased `u`) that names the area of this level a unit is in.
    var groupColumn: String { groupColumn(alias: "u") }

    /// ``groupColumn`` on a table aliased `alias` with the same columns (`ledger_event`).
    func groupColumn(alias: String) -> String {
        switch level {
        case .county: "'*'"
        case .subdistrict: "\(alias).subdistrict"
        case .community: "\(alias).community"
        case .grid: "\(alias).grid"
        }
    }

    /// What ``groupColumn`` gives for a unit in this grid (an `area` row's code, community
    /// and subdistrict), for counts kept per grid.
    func groupKey(grid: String, community: String, subdistrict: String) -> String {
        switch level {
        case .county: "*"
        case .subdistrict: subdistrict
        case .community: community
        case .grid: grid
        }
    }

    /// The key under which ``groupColumn`` reports `code`.
    func groupKey(_ code: String) -> String {
        level == .county ? "*" : code
    }
}
