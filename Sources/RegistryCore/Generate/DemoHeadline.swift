import Foundation

/// The figures `registry demo` prints: the migrant share of each subdistrict with its flag,
/// and 秀水街道's rental registration rate at the start and end of the history, with its
/// monthly trend. Computed through the contract's own operations.
public struct DemoHeadline: Sendable {
    public var asOf: CivilDate
    public var demographics: JSONValue
    public var trend: JSONValue
    public var xiushui: String
    /// 秀水街道's rentals known for more than 30 days but unregistered on `asOf`: how many,
    /// and the oldest three (the top of a clerk's worklist).
    public var unregisteredCount: Int = 0
    public var oldestUnregistered: [UnregisteredUnits.Item] = []

    public static func compute(_ registry: Registry) throws(RegistryError) -> DemoHeadline {
        let start = CountyGenerator.windowStart, end = CountyGenerator.windowEnd
        let xiushui = DemoSeed.countyCode + "003"
        return try registry.performGroup(operator: "demo") { group throws(RegistryError) in
            let demographics = try group.perform(Demographics(level: .subdistrict, asOf: end, threshold: 0.5, parent: nil)).get()
            let trend = try group.perform(RegistrationTrend(area: xiushui, from: start, to: end, step: .month)).get()
            var headline = DemoHeadline(asOf: end, demographics: demographics.json, trend: trend.json, xiushui: xiushui)
            var after: String? = nil
            repeat {
                let page = try group.perform(UnregisteredUnits(asOf: end, area: xiushui, olderThanDays: 31, limit: try PageLimit(1000), after: after)).get()
                if headline.oldestUnregistered.isEmpty { headline.oldestUnregistered = Array(page.units.prefix(3)) }
                headline.unregisteredCount += page.units.count
                after = page.next
            } while after != nil
            return headline
        }
    }

    public var json: JSONValue {
        .object([("asOf", .string(asOf.description)), ("demographics", demographics), ("xiushuiTrend", trend),
                 ("xiushuiUnregisteredOver30Days", .int(Int64(unregisteredCount))),
                 ("xiushuiOldestUnregistered", .array(oldestUnregistered.map {
                     .object([("unitId", .string($0.unitId)), ("address", .string($0.address)), ("discoveredOn", .string($0.discoveredOn)),
                              ("days", .int(Int64($0.days)))])
                 }))])
    }

    /// The headline as text for people.
    public var text: String {
        var lines = ["Migrant share per subdistrict on \(asOf) (flagged at 50% or more):"]
        let rows = demographics["rows"]?.arrayValue ?? []
        lines += ResultText.table(rows.map { row in
            .object([
                ("code", row["code"] ?? .null), ("name", row["name"] ?? .null), ("residents", row["residents"] ?? .null),
                ("migrants", row["migrants"] ?? .null), ("migrantShare", row["migrantShare"] ?? .null),
                ("flagged", row["flagged"] ?? .null), ("topOrigins", row["topOrigins"] ?? .null),
            ])
        })
        let points = trend["points"]?.arrayValue ?? []
        if let first = points.first, let last = points.last {
            func rate(_ point: JSONValue) -> String { ResultText.cell(point["rate"] ?? .null, key: "rate") }
            lines.append("")
            lines.append("秀水街道 (\(xiushui)) rental registration rate: \(rate(first)) on \(first["date"]?.stringValue ?? "") → \(rate(last)) on \(last["date"]?.stringValue ?? "")")
            lines.append("")
            lines += ResultText.table(points)
        }
        lines.append("")
        lines.append("秀水街道 worklist on \(asOf): \(unregisteredCount) rentals known for more than 30 days but not registered; the oldest:")
        lines += ResultText.table(oldestUnregistered.map {
            .object([("unitId", .string($0.unitId)), ("address", .string($0.address)), ("discoveredOn", .string($0.discoveredOn)),
                     ("days", .int(Int64($0.days)))])
        })
        return lines.joined(separator: "\n")
    }
}
