import GRDB

/// A row of `area`: a node of the place hierarchy with its ancestors' codes.
struct AreaRecord: Sendable {
    var code: String
    var name: String
    var level: AreaLevel
    var parent: String?
    /// The subdistrict this area is in (itself for a subdistrict, `nil` for the county).
    var subdistrict: String?
    /// The community this area is in (itself for a community, `nil` above).
    var community: String?

    private static let byCode = "SELECT code, name, level, parent, subdistrict, community FROM area WHERE code = ?"

    init(row: Row) {
        code = row[0]
        name = row[1]
        level = AreaLevel(rawValue: row[2]) ?? .grid
        parent = row[3]
        subdistrict = row[4]
        community = row[5]
    }

    static func find(_ db: Database, code: String) throws -> AreaRecord? {
        try db.withFirstRow(sql: byCode, arguments: [code], AreaRecord.init(row:))
    }

    /// The area `code`, or `unknown_area` blamed on `field`.
    static func require(_ db: Database, code: String, field: String) throws -> AreaRecord {
        guard let area = try find(db, code: code) else {
            throw RegistryError.notFound(.unknownArea, field: field, "\(field): no area with code \(code)")
        }
        return area
    }

    /// The SQL condition (on a table with `grid`, `community`, `subdistrict` columns, such
    /// as `unit` or `ledger_event`) that selects what lies in this area. Lower levels name
    /// their subdistrict too, so that the subdistrict's index narrows the search.
    func containsCondition(alias: String) -> (sql: String, arguments: StatementArguments) {
        switch level {
        case .county: ("1", [])
        case .subdistrict: ("\(alias).subdistrict = ?", [code])
        // The subdistrict narrows the search to an index; the community then picks the rows.
        case .community: ("\(alias).subdistrict = ? AND \(alias).community = ?", [subdistrict ?? "", code])
        case .grid: ("\(alias).subdistrict = ? AND \(alias).grid = ?", [subdistrict ?? "", code])
        }
    }

    /// The SQL condition on `area` rows (aliased `alias`) for the areas under this one.
    func descendantCondition(alias: String) -> (sql: String, arguments: StatementArguments) {
        switch level {
        case .county: ("\(alias).level <> 'county'", [])
        case .subdistrict: ("\(alias).subdistrict = ? AND \(alias).code <> ?", [code, code])
        case .community: ("\(alias).community = ? AND \(alias).code <> ?", [code, code])
        case .grid: ("0", [])
        }
    }
}
