import Foundation
import GRDB

/// `metrics.timeliness`: how many move-ins were recorded on time, per area. Over the
/// `move_in` events dated `from` to `to` (inclusive) in each area of `level` (under
/// `parent`), `onTime` counts those recorded — the local date of `recordedAt` — no later
/// than `date + withinDays` (default 3); `rate` is `onTime ÷ moveIns`, `null` when there
/// are none. Events written by `registry import` are left out (``ImportRun``).
public struct Timeliness: RegistryRequest {
    public static let method = "metrics.timeliness"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case level, from, to, parent, withinDays }

    public var level: AreaLevel
    public var from: CivilDate
    public var to: CivilDate
    public var parent: String?
    public var withinDays: Int?

    public struct Row: Sendable {
        public var code: String, name: String, moveIns: Int, onTime: Int
        public var rate: Double? { moveIns == 0 ? nil : Double(onTime) / Double(moveIns) }
    }

    public struct Result: JSONRepresentable {
        public var rows: [Row]
        public var json: JSONValue {
            .object([("rows", .array(rows.map {
                .object([("code", .string($0.code)), ("name", .string($0.name)), ("moveIns", .int(Int64($0.moveIns))),
                         ("onTime", .int(Int64($0.onTime))), ("rate", $0.rate.map(JSONValue.double) ?? .null)])
            }))])
        }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let withinDays = withinDays ?? 3
        guard (0...3650).contains(withinDays) else { throw RegistryError.invalid("withinDays", "must be 0 to 3650") }
        guard from <= to else { throw RegistryError.invalid("to", "\(to) is before from \(from)", reason: .invalidDate) }
        let selection = try AreaSelection(context.db, level: level, parent: parent)
        let group = selection.groupColumn(alias: "e")
        let parent = selection.condition(alias: "e")
        // The local date of a UTC timestamp: SQLite's 'localtime' uses the machine's zone.
        // The events no import wrote, range by range of seq (``ImportRun/gaps(_:)``).
        var counts: [String: (Int, Int)] = [:]
        for gap in try ImportRun.gaps(context.db) {
            for row in try GRDB.Row.fetchAll(context.db, sql: """
                SELECT \(group) AS area, count(*), sum(date(e.recorded_at, 'localtime') <= date(e.date, '+' || ? || ' days'))
                FROM ledger_event e
                WHERE e.seq BETWEEN ? AND ? AND e.type = 'move_in' AND e.date >= ? AND e.date <= ? AND \(parent.sql)
                GROUP BY area
                """, arguments: [withinDays, gap.lowerBound, gap.upperBound, from.description, to.description] + parent.arguments) {
                let area: String = row[0]
                let (moveIns, onTime) = counts[area] ?? (0, 0)
                counts[area] = (moveIns + (row[1] as Int), onTime + (row[2] as Int? ?? 0))
            }
        }
        return Result(rows: selection.areas.map { area in
            let c = counts[selection.groupKey(area.code)] ?? (0, 0)
            return Row(code: area.code, name: area.name, moveIns: c.0, onTime: c.1)
        })
    }
}
