import GRDB

/// A row of `unit`, with its derived status.
struct UnitRecord: Sendable {
    /// The internal row id, used by residences and households.
    var id: Int64
    var unitId: String
    var grid: String
    var community: String
    var subdistrict: String
    var address: String
    var kind: UnitKind
    var discoveredOn: CivilDate
    var registeredOn: CivilDate?
    var closedOn: CivilDate?
    var status: UnitStatus

    static let columns = "id, unit_id, grid, community, subdistrict, address, kind, discovered_on, registered_on, closed_on, status"
    private static let byUnitId = "SELECT \(columns) FROM unit WHERE unit_id = ?"
    private static let byId = "SELECT \(columns) FROM unit WHERE id = ?"

    init(columns c: RawStatement.Columns) {
        id = c.int64(0)
        unitId = c.string(1)
        grid = c.string(2)
        community = c.string(3)
        subdistrict = c.string(4)
        address = c.string(5)
        kind = UnitKind(rawValue: c.string(6)) ?? .rental
        discoveredOn = c.date(7)!
        registeredOn = c.date(8)
        closedOn = c.date(9)
        status = UnitStatus(rawValue: c.string(10)) ?? .unregistered
    }

    static func find(_ db: Database, unitId: String) throws -> UnitRecord? {
        let statement = try RawStatement(db, byUnitId)
        statement.bind(1, unitId)
        return try statement.first(UnitRecord.init(columns:))
    }

    static func find(_ db: Database, id: Int64) throws -> UnitRecord? {
        let statement = try RawStatement(db, byId)
        statement.bind(1, id)
        return try statement.first(UnitRecord.init(columns:))
    }

    /// The unit `unitId`, or `unknown_unit` blamed on `field`.
    static func require(_ db: Database, unitId: String, field: String = "unitId") throws -> UnitRecord {
        guard let unit = try find(db, unitId: unitId) else {
            throw RegistryError.notFound(.unknownUnit, field: field, "\(field): no unit with id \(unitId)")
        }
        return unit
    }
}
