import Foundation
import GRDB

/// Who lives where on a date: the roster (花名册) of an area, migrants only unless asked
/// for everyone. Shared by `ledger.roster` and `registry ledger roster`.
struct RosterQuery {
    var asOf: CivilDate
    var area: AreaRecord?
    var migrantOnly: Bool
    /// Only people living in these areas (an account's areas); `nil` for all.
    var scope: Principal? = nil

    /// Where the sealed ID number's columns are, for ``Export``'s byte path.
    static let csvLayout = CSVLayout(columns: 12, idNumber: 0, birthDate: 3, boolean: 5, idIndex: 12, idCipher: 13,
                                     sex: 2, dates: [11])

    /// The SELECT statement and its arguments; `ordered: false` leaves out the ORDER BY (for
    /// counting: SQLite keeps a subquery's ORDER BY, and sorting ten million rows only to
    /// count them took 2.5 GB on the writer's in-memory temporary store).
    func sql(settings: RegistrySettings, ordered: Bool = true) -> (String, StatementArguments) {
        let migrant = settings.migrantSQL(hukou: "r.hukou_code", subdistrict: "u.subdistrict")
        var conditions = ["x.moved_in <= ?", "(x.moved_out IS NULL OR x.moved_out > ?)"]
        var arguments: StatementArguments = [asOf.description, asOf.description]
        if let area {
            let condition = area.containsCondition(alias: "u")
            conditions.append(condition.sql)
            arguments += condition.arguments
        }
        if let scope = scope?.scopeCondition(alias: "u") {
            conditions.append(scope.sql)
            arguments += scope.arguments
        }
        if migrantOnly { conditions.append(migrant) }
        let sql = """
            SELECT NULL, r.name, r.sex, r.birth_date, r.hukou_code, \(migrant),
                   u.unit_id, u.address, u.grid, u.community, u.subdistrict, x.moved_in,
                   r.id_index, r.id_cipher
            FROM residence x JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident
            WHERE \(conditions.joined(separator: " AND "))
            """
        return (ordered ? sql + " ORDER BY u.grid, u.unit_id, x.moved_in, r.id" : sql, arguments)
    }

    /// How many people the roster holds: what an export's audit entry counts.
    func count(_ db: Database, settings: RegistrySettings) throws -> Int {
        let (sql, arguments) = self.sql(settings: settings, ordered: false)
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(sql))", arguments: arguments) ?? 0
    }

    var auditFilters: JSONValue {
        .object([("asOf", .string(asOf.description)), ("area", .optional(area?.code)), ("migrantOnly", .bool(migrantOnly))])
    }
}

/// One person of a roster, with ID number and birth date as ``Disclosure`` shows them.
struct RosterRow {
    var idNumber: String, name: String, sex: String, birthDate: String, hukouCode: String
    var migrant: Bool
    var unitId: String, address: String, grid: String, community: String, subdistrict: String, movedIn: String

    /// Reads a row of ``RosterQuery/sql(settings:)``.
    init(row: Row, disclosure: Disclosure) throws(RegistryError) {
        idNumber = try disclosure.idNumber(cipher: row[13] as Data, index: row[12] as Data)
        name = row[1]; sex = row[2]; birthDate = disclosure.birthDate(row[3]); hukouCode = row[4]; migrant = row[5]
        unitId = row[6]; address = row[7]; grid = row[8]; community = row[9]; subdistrict = row[10]; movedIn = row[11]
    }

    /// The contract's JSON roster item.
    var json: JSONValue {
        .object([
            ("idNumber", .string(idNumber)), ("name", .string(name)), ("sex", .string(sex)),
            ("birthDate", .string(birthDate)), ("hukouCode", .string(hukouCode)), ("unitId", .string(unitId)),
            ("address", .string(address)), ("grid", .string(grid)), ("movedIn", .string(movedIn)),
        ])
    }

    /// The NDJSON object: the JSON item with migrant, community and subdistrict, as in the CSV.
    var ndjson: JSONValue {
        .object([
            ("idNumber", .string(idNumber)), ("name", .string(name)), ("sex", .string(sex)),
            ("birthDate", .string(birthDate)), ("hukouCode", .string(hukouCode)), ("migrant", .bool(migrant)),
            ("unitId", .string(unitId)), ("address", .string(address)), ("grid", .string(grid)),
            ("community", .string(community)), ("subdistrict", .string(subdistrict)), ("movedIn", .string(movedIn)),
        ])
    }

    static let csvHeader = ["id_number", "name", "sex", "birth_date", "hukou_code", "migrant", "unit_id", "address",
                            "grid", "community", "subdistrict", "moved_in"]

    var csvFields: [String] {
        [idNumber, name, sex, birthDate, hukouCode, migrant ? "true" : "false", unitId, address,
         grid, community, subdistrict, movedIn]
    }
}
