import GRDB

/// The events of the ledger selected by area, date range and cursor, in `seq` order.
/// Shared by `ledger.events` (a page) and `registry ledger export` (a stream).
struct LedgerQuery {
    var area: AreaRecord?
    var from: CivilDate?
    var to: CivilDate?
    /// Only events with a larger `seq`.
    var after: Int64?
    /// Whether to open the sealed ID numbers (it needs the key): only for a reveal.
    var reveal = false

    /// The event's columns, and last the ID number in the clear when revealing.
    var columns: String {
        """
        e.seq, e.type, e.date, e.id_masked, e.name, e.sex, e.birth_date, e.hukou_code, e.migrant,
        e.unit_id, e.address, e.grid, e.community, e.subdistrict, e.operator, e.recorded_at,
        \(reveal ? ResidentRecord.openedIDNumber(resident: "e.resident") : "NULL")
        """
    }

    /// The SELECT statement and its arguments; `limit` adds a LIMIT clause.
    func sql(limit: Int? = nil) -> (String, StatementArguments) {
        var conditions = ["e.seq > ?"]
        var arguments: StatementArguments = [after ?? 0]
        if let area {
            let condition = area.containsCondition(alias: "e")
            conditions.append(condition.sql)
            arguments += condition.arguments
        }
        if let from { conditions.append("e.date >= ?"); arguments += [from.description] }
        if let to { conditions.append("e.date <= ?"); arguments += [to.description] }
        var sql = "SELECT \(columns) FROM ledger_event e WHERE \(conditions.joined(separator: " AND ")) ORDER BY e.seq"
        if let limit { sql += " LIMIT ?"; arguments += [limit] }
        return (sql, arguments)
    }

    /// The filters as an audit entry records them.
    var auditFilters: JSONValue {
        .object([("area", .optional(area?.code)), ("from", .optional(from)), ("to", .optional(to)), ("after", .optional(after))])
    }
}

/// One ledger event as read back, for JSON, NDJSON and CSV.
struct LedgerEventRow {
    var seq: Int64
    var type: String
    var date: String
    /// The masked ID number.
    var idNumber: String?
    /// The ID number in the clear, read only for a reveal.
    var clearIDNumber: String?
    var name: String?
    var sex: String?
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

    init(row: Row) {
        seq = row[0]; type = row[1]; date = row[2]; idNumber = row[3]; name = row[4]; sex = row[5]
        birthDate = row[6]; hukouCode = row[7]; migrant = row[8]; unitId = row[9]; address = row[10]
        grid = row[11]; community = row[12]; subdistrict = row[13]; actor = row[14]; recordedAt = row[15]
        clearIDNumber = row[16]
    }

    func shownIDNumber(reveal: Bool) -> String? {
        reveal ? clearIDNumber ?? idNumber : idNumber
    }

    /// The contract's JSON event object.
    func json(reveal: Bool) -> JSONValue {
        .object([
            ("seq", .int(seq)), ("type", .string(type)), ("date", .string(date)),
            ("idNumber", .optional(shownIDNumber(reveal: reveal))), ("name", .optional(name)),
            ("unitId", .string(unitId)), ("address", .string(address)), ("grid", .string(grid)),
            ("community", .string(community)), ("subdistrict", .string(subdistrict)),
            ("hukouCode", .optional(hukouCode)), ("migrant", .optional(migrant)),
            ("operator", .string(actor)), ("recordedAt", .string(recordedAt)),
        ])
    }

    static let csvHeader = ["seq", "type", "date", "id_number", "name", "sex", "birth_date", "hukou_code", "migrant",
                            "unit_id", "address", "grid", "community", "subdistrict", "operator", "recorded_at"]

    /// The cells of the export's CSV row, in ``csvHeader`` order; absent values are empty.
    func csvFields(reveal: Bool) -> [String] {
        [String(seq), type, date, shownIDNumber(reveal: reveal) ?? "", name ?? "", sex ?? "", birthDate ?? "",
         hukouCode ?? "", migrant.map { $0 ? "true" : "false" } ?? "", unitId, address, grid, community, subdistrict,
         actor, recordedAt]
    }

    /// The NDJSON object: the JSON event with sex and birth date, as in the CSV.
    func ndjson(reveal: Bool) -> JSONValue {
        guard case var .object(pairs) = json(reveal: reveal) else { return .null }
        let index = pairs.firstIndex { $0.0 == "name" }! + 1
        pairs.insert(contentsOf: [("sex", .optional(sex)), ("birthDate", .optional(birthDate))], at: index)
        return .object(pairs)
    }
}
