import GRDB

/// The areas a per-area report has one row for: every area of a level, optionally only
/// those under a parent, in code order. Shared by the registration rate and the analyzer.
struct AreaSelection {
    var level: AreaLevel
    var areas: [(code: String, name: String)]
    /// A condition on `unit` (aliased `u`) restricting the counted units to the parent, if any.
    var unitCondition: (sql: String, arguments: StatementArguments)

    init(_ db: Database, level: AreaLevel, parent: String?) throws {
        self.level = level
        var sql = "SELECT code, name FROM area a WHERE a.level = ?"
        var arguments: StatementArguments = [level.rawValue]
        unitCondition = ("1", [])
        if let parent {
            let parentArea = try AreaRecord.require(db, code: parent, field: "parent")
            let under = parentArea.descendantCondition(alias: "a")
            sql += " AND " + under.sql
            arguments += under.arguments
            unitCondition = parentArea.containsCondition(alias: "u")
        }
        sql += " ORDER BY code"
        areas = try db.cachedRows(sql: sql, arguments: arguments).map { ($0[0], $0[1]) }
    }

    /// The `unit` column (aliased `u`) that names the area of this level a unit is in.
    var groupColumn: String {
        switch level {
        case .county: "'*'"
        case .subdistrict: "u.subdistrict"
        case .community: "u.community"
        case .grid: "u.grid"
        }
    }

    /// ``groupColumn`` with the levels above it: the same groups, in the order of indexes
    /// that lead with the subdistrict (`unit_rental_dates`), so SQLite groups without a sort.
    var groupColumns: String {
        switch level {
        case .county: "'*'"
        case .subdistrict: "u.subdistrict"
        case .community: "u.subdistrict, u.community"
        case .grid: "u.subdistrict, u.community, u.grid"
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
