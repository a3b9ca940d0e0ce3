import Foundation
import GRDB

/// `ledger.diff`: who came, who left and who moved within an area between two days — the
/// police liaison's weekly reconciliation. Compares the people living in the area on
/// `from` with those living there on `to` (migrants only unless `migrantOnly: false`):
/// `arrived` (there on `to`, not on `from`), `left` (on `from`, not on `to`), `moved` (on
/// both days, at different units; `date` is the move-in of the residence on `to`). Masked
/// unless revealed with a purpose; a reveal is audited as an export of all three lists.
public struct LedgerDiff: RegistryRequest {
    public static let method = "ledger.diff"
    public var isReadOnly: Bool { reveal != true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case from, to, area, migrantOnly, reveal, purpose }

    public var from: CivilDate
    public var to: CivilDate
    public var area: String?
    public var migrantOnly: Bool?
    public var reveal: Bool?
    public var purpose: String?

    /// One change: `arrived`, `left` or `moved`.
    public struct Change: Sendable {
        public var change: String, idNumber: String, name: String, unitId: String, fromUnitId: String?, date: String?
    }

    public struct Result: JSONRepresentable {
        public var changes: [Change]
        public var json: JSONValue {
            func list(_ kind: String, _ item: (Change) -> JSONValue) -> JSONValue { .array(changes.filter { $0.change == kind }.map(item)) }
            return .object([
                ("arrived", list("arrived") { .object([("idNumber", .string($0.idNumber)), ("name", .string($0.name)), ("unitId", .string($0.unitId)), ("movedIn", .optional($0.date))]) }),
                ("left", list("left") { .object([("idNumber", .string($0.idNumber)), ("name", .string($0.name)), ("unitId", .string($0.unitId)), ("movedOut", .optional($0.date))]) }),
                ("moved", list("moved") { .object([("idNumber", .string($0.idNumber)), ("name", .string($0.name)), ("fromUnitId", .optional($0.fromUnitId)), ("toUnitId", .string($0.unitId)), ("date", .optional($0.date))]) }),
            ])
        }

        /// The CSV and spreadsheet columns.
        public static let csvHeader = ["change", "id_number", "name", "unit_id", "from_unit_id", "date"]

    }

    struct Living {
        var unitId: String, movedIn: String, movedOut: String?, name: String, index: Data, cipher: Data
    }

    public func execute(in context: OperationContext) throws -> Result {
        let reveal = try Reveal(reveal: reveal, purpose: purpose)
        guard from <= to else { throw RegistryError.invalid("to", "\(to) is before from \(from)", reason: .invalidDate) }
        let record = try area.map { try AreaRecord.require(context.db, code: $0, field: "area") }
        let disclosure = Disclosure(reveal: reveal.reveal, key: try context.sealingKey())
        // Only people with a residence that began or ended between the two days can differ:
        // found through the index on (moved_out, moved_in), then each one's residence on
        // either day looked up by person. Nobody else is read.
        let touched = try Int64.fetchAll(context.db, sql: """
            SELECT DISTINCT resident FROM residence x
            WHERE (x.moved_out IS NULL AND x.moved_in > ? AND x.moved_in <= ?) OR (x.moved_out > ? AND x.moved_out <= ?)
               OR (x.moved_out > ? AND x.moved_in > ? AND x.moved_in <= ?)
            """, arguments: [from.description, to.description, from.description, to.description, to.description, from.description, to.description])
        var changes: [Change] = []
        for resident in touched {
            let then = try living(context, resident: resident, on: from, area: record)
            let now = try living(context, resident: resident, on: to, area: record)
            func number(_ person: Living) throws(RegistryError) -> String { try disclosure.idNumber(cipher: person.cipher, index: person.index) }
            switch (then, now) {
            case let (nil, now?):
                changes.append(Change(change: "arrived", idNumber: try number(now), name: now.name, unitId: now.unitId, fromUnitId: nil, date: now.movedIn))
            case let (then?, nil):
                changes.append(Change(change: "left", idNumber: try number(then), name: then.name, unitId: then.unitId, fromUnitId: nil, date: then.movedOut))
            case let (then?, now?) where then.unitId != now.unitId:
                changes.append(Change(change: "moved", idNumber: try number(now), name: now.name, unitId: now.unitId, fromUnitId: then.unitId, date: now.movedIn))
            default:
                break
            }
        }
        changes.sort { (Self.order($0.change), $0.unitId, $0.date ?? "", $0.name) < (Self.order($1.change), $1.unitId, $1.date ?? "", $1.name) }
        if reveal.reveal {
            try AuditEntry(action: .export, purpose: reveal.purpose, method: Self.method,
                           filters: .object([("from", .string(from.description)), ("to", .string(to.description)), ("area", .optional(area)),
                                             ("migrantOnly", .bool(migrantOnly ?? true))]), count: changes.count)
                .append(context.db, actor: context.actor, at: context.now, key: context.key)
        }
        return Result(changes: changes)
    }

    /// The person's residence on `day`, when it is in the area (and the account's areas)
    /// and, unless everyone is asked for, the person is a migrant there.
    private func living(_ context: OperationContext, resident: Int64, on day: CivilDate, area: AreaRecord?) throws -> Living? {
        var conditions = ["x.resident = ?", "x.moved_in <= ?", "(x.moved_out IS NULL OR x.moved_out > ?)"]
        var arguments: StatementArguments = [resident, day.description, day.description]
        let place = context.placeConditions(area: area)
        conditions += place.sql
        arguments += place.arguments
        if migrantOnly ?? true { conditions.append(context.settings.migrantSQL(hukou: "r.hukou_code", subdistrict: "u.subdistrict")) }
        guard let row = try Row.fetchOne(context.db.cachedStatement(sql: """
            SELECT u.unit_id, x.moved_in, x.moved_out, r.name, r.id_index, r.id_cipher
            FROM residence x JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY x.moved_in DESC LIMIT 1
            """), arguments: arguments) else { return nil }
        return Living(unitId: row[0], movedIn: row[1], movedOut: row[2], name: row[3], index: row[4], cipher: row[5])
    }

    /// The CSV rows (``Result/csvHeader``) of a `ledger.diff` result object.
    public static func rows(of result: JSONValue) -> [[String]] {
        func text(_ value: JSONValue?) -> String { value?.stringValue ?? "" }
        var rows: [[String]] = []
        for item in result["arrived"]?.arrayValue ?? [] {
            rows.append(["arrived", text(item["idNumber"]), text(item["name"]), text(item["unitId"]), "", text(item["movedIn"])])
        }
        for item in result["left"]?.arrayValue ?? [] {
            rows.append(["left", text(item["idNumber"]), text(item["name"]), text(item["unitId"]), "", text(item["movedOut"])])
        }
        for item in result["moved"]?.arrayValue ?? [] {
            rows.append(["moved", text(item["idNumber"]), text(item["name"]), text(item["toUnitId"]), text(item["fromUnitId"]), text(item["date"])])
        }
        return rows
    }

    /// Writes a `ledger.diff` result object to `sink` as a file (CSV, NDJSON or xlsx with the
    /// columns of ``Result/csvHeader``; xlsx with Chinese titles and changes, the date a date
    /// cell) and finishes it.
    /// - Returns: how many changes were written.
    @discardableResult
    public static func write(_ result: JSONValue, format: Export.Format, to sink: OutputSink) throws(RegistryError) -> Int {
        let rows = rows(of: result)
        switch format {
        case .csv:
            try sink.write(CSVText.byteOrderMark)
            try sink.append { CSVText.appendRow(Result.csvHeader, to: &$0) }
            for row in rows { try sink.append { CSVText.appendRow(row, to: &$0) } }
        case .ndjson:
            for row in rows {
                let object = JSONValue.object(zip(Result.csvHeader, row).map { ($0.0, JSONValue.string($0.1)) })
                try sink.append { JSONWriter.write(object, into: &$0); $0 += "\n" }
            }
        case .xlsx:
            let book = try SpreadsheetWriter(sheetName: "变动", columns: Result.csvHeader.map { SpreadsheetColumn($0, $0 == "date" ? .date : .text) },
                                             into: sink)
            for row in rows {
                for (column, value) in row.enumerated() {
                    if column == 0 {
                        book.text(column, ColumnTitles.change[value] ?? value)
                    } else if column == 5, let day = CivilDate(value) {
                        book.date(column, day)
                    } else {
                        book.text(column, value)
                    }
                }
                try book.endRow()
            }
            try book.finish()
        }
        try sink.finish()
        return rows.count
    }

    private static func order(_ change: String) -> Int { change == "arrived" ? 0 : change == "left" ? 1 : 2 }

}
