import Foundation
import GRDB

/// The events of the ledger selected by area, date range and cursor, in `seq` order.
/// Shared by `ledger.events` (a page) and `registry ledger export` (a stream).
struct LedgerQuery {
    var area: AreaRecord?
    var from: CivilDate?
    var to: CivilDate?
    /// Only events with a larger `seq`.
    var after: Int64?
    /// Only events of units in these areas (an account's areas); `nil` for all.
    var scope: Principal? = nil

    /// The event's columns in the CSV's order, the ID number's place holding the resident
    /// row (NULL for a unit's event); then the person's blind index and sealed ID number,
    /// which ``Disclosure`` opens as each row is written (never in SQL: a sort or a
    /// temporary file then holds only sealed values).
    static let columns = """
        e.seq, e.type, e.date, e.resident, e.name, e.sex, e.birth_date, e.hukou_code, e.migrant,
        e.unit_id, e.address, e.grid, e.community, e.subdistrict, e.operator, e.recorded_at,
        r.id_index, r.id_cipher
        """

    /// Where the sealed ID number's columns are, for ``Export``'s byte path.
    static let csvLayout = CSVLayout(columns: 16, idNumber: 3, birthDate: 6, boolean: 8, idIndex: 16, idCipher: 17,
                                     sex: 5, eventType: 1, dates: [2])

    /// The SELECT statement and its arguments; `limit` adds a LIMIT clause.
    /// `ordered: false` leaves out the ORDER BY, for counting (see ``RosterQuery``).
    func sql(limit: Int? = nil, ordered: Bool = true) -> (String, StatementArguments) {
        var conditions = ["e.seq > ?"]
        var arguments: StatementArguments = [after ?? 0]
        if let area {
            let condition = area.containsCondition(alias: "e")
            conditions.append(condition.sql)
            arguments += condition.arguments
        }
        if let scope = scope?.scopeCondition(alias: "e") {
            conditions.append(scope.sql)
            arguments += scope.arguments
        }
        if let from { conditions.append("e.date >= ?"); arguments += [from.description] }
        if let to { conditions.append("e.date <= ?"); arguments += [to.description] }
        var sql = "SELECT \(Self.columns) FROM ledger_event e LEFT JOIN resident r ON r.id = e.resident WHERE \(conditions.joined(separator: " AND "))" + (ordered ? " ORDER BY e.seq" : "")
        if let limit { sql += " LIMIT ?"; arguments += [limit] }
        return (sql, arguments)
    }

    /// How many events the query selects: what an export's audit entry counts.
    func count(_ db: Database) throws -> Int {
        let (sql, arguments) = self.sql(ordered: false)
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(sql))", arguments: arguments) ?? 0
    }

    /// The filters as an audit entry records them.
    var auditFilters: JSONValue {
        .object([("area", .optional(area?.code)), ("from", .optional(from)), ("to", .optional(to)), ("after", .optional(after))])
    }
}

/// One ledger event as read back, for JSON, NDJSON and CSV, with its person's ID number
/// and birth date as ``Disclosure`` shows them.
struct LedgerEventRow {
    var seq: Int64
    var type: String
    var date: String
    /// The ID number as shown (masked unless revealed); `nil` for a unit's event.
    var idNumber: String?
    var name: String?
    var sex: String?
    /// The birth date as shown.
    var birthDate: String?
    var hukouCode: String?
    var migrant: Bool?
    var unitId: String
    var address: String
    var grid: String
    var community: String
    var subdistrict: String
    var actor: String
    var recordedAt: String

    /// Reads a row of ``LedgerQuery/columns``.
    init(row: Row, disclosure: Disclosure) throws(RegistryError) {
        seq = row[0]; type = row[1]; date = row[2]; name = row[4]; sex = row[5]
        hukouCode = row[7]; migrant = row[8]; unitId = row[9]; address = row[10]
        grid = row[11]; community = row[12]; subdistrict = row[13]; actor = row[14]; recordedAt = row[15]
        if let index = row[16] as Data?, let cipher = row[17] as Data? {
            idNumber = try disclosure.idNumber(cipher: cipher, index: index)
        }
        birthDate = (row[6] as String?).map(disclosure.birthDate)
    }

    /// The contract's JSON event object.
    var json: JSONValue {
        .object([
            ("seq", .int(seq)), ("type", .string(type)), ("date", .string(date)),
            ("idNumber", .optional(idNumber)), ("name", .optional(name)),
            ("unitId", .string(unitId)), ("address", .string(address)), ("grid", .string(grid)),
            ("community", .string(community)), ("subdistrict", .string(subdistrict)),
            ("hukouCode", .optional(hukouCode)), ("migrant", .optional(migrant)),
            ("operator", .string(actor)), ("recordedAt", .string(recordedAt)),
        ])
    }

    static let csvHeader = ["seq", "type", "date", "id_number", "name", "sex", "birth_date", "hukou_code", "migrant",
                            "unit_id", "address", "grid", "community", "subdistrict", "operator", "recorded_at"]

    /// The cells of the export's CSV row, in ``csvHeader`` order; absent values are empty.
    var csvFields: [String] {
        [String(seq), type, date, idNumber ?? "", name ?? "", sex ?? "", birthDate ?? "",
         hukouCode ?? "", migrant.map { $0 ? "true" : "false" } ?? "", unitId, address, grid, community, subdistrict,
         actor, recordedAt]
    }

    /// The NDJSON object: the JSON event with sex and birth date, as in the CSV.
    var ndjson: JSONValue {
        guard case var .object(pairs) = json else { return .null }
        let index = pairs.firstIndex { $0.0 == "name" }! + 1
        pairs.insert(contentsOf: [("sex", .optional(sex)), ("birthDate", .optional(birthDate))], at: index)
        return .object(pairs)
    }
}
