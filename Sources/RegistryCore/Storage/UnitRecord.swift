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

    init(row: Row) {
        id = row[0]
        unitId = row[1]
        grid = row[2]
        community = row[3]
        subdistrict = row[4]
        address = row[5]
        kind = UnitKind(rawValue: row[6]) ?? .rental
        discoveredOn = CivilDate(row[7] as String)!
        registeredOn = (row[8] as String?).flatMap(CivilDate.init)
        closedOn = (row[9] as String?).flatMap(CivilDate.init)
        status = UnitStatus(rawValue: row[10]) ?? .unregistered
    }

    static func find(_ db: Database, unitId: String) throws -> UnitRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM unit WHERE unit_id = ?"), arguments: [unitId])
            .map(UnitRecord.init(row:))
    }

    static func find(_ db: Database, id: Int64) throws -> UnitRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM unit WHERE id = ?"), arguments: [id])
            .map(UnitRecord.init(row:))
    }

    /// The unit `unitId`, or `unknown_unit` blamed on `field`.
    static func require(_ db: Database, unitId: String, field: String = "unitId") throws -> UnitRecord {
        guard let unit = try find(db, unitId: unitId) else {
            throw RegistryError.notFound("unknown_unit", field: field, "\(field): no unit with id \(unitId)")
        }
        return unit
    }

    /// How many people live in this unit now (open residences).
    func occupants(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM residence WHERE unit = ? AND moved_out IS NULL"),
                         arguments: [id]) ?? 0
    }
}
