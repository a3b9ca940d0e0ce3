import GRDB

/// Known and registered rental units, and their ratio, for one area on one date.
///
/// A rental unit is known on a date when `discoveredOn ≤ date` and it was not closed on
/// or before that date; it is registered on that date when also `registeredOn ≤ date`.
/// `rate` is `registered ÷ known`, `null` when nothing is known.
struct RateCounts: Sendable {
    var known: Int
    var registered: Int

    var rate: Double? { known == 0 ? nil : Double(registered) / Double(known) }

    /// The counts per area of `selection` on `date`, by ``AreaSelection/groupKey(_:)``,
    /// summed from the counts kept per grid (``RentalCounts``).
    static func byArea(_ db: Database, _ selection: AreaSelection, on date: CivilDate) throws -> [String: RateCounts] {
        var counts: [String: RateCounts] = [:]
        for grid in try RentalCounts.perGrid(db, under: selection.parentArea, on: date) {
            let key = selection.groupKey(grid: grid.grid, community: grid.community, subdistrict: grid.subdistrict)
            counts[key, default: RateCounts(known: 0, registered: 0)].add(grid.counts)
        }
        return counts
    }

    mutating func add(_ other: RateCounts) {
        known += other.known
        registered += other.registered
    }
}

/// `metrics.registrationRate`: the registration rate (出租屋登记率) of every area of a
/// level on `asOf`, one row per area even when it has no rental units.
public struct RegistrationRate: RegistryRequest {
    public static let method = "metrics.registrationRate"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case level, asOf, parent }

    public var level: AreaLevel
    public var asOf: CivilDate
    public var parent: String?

    public struct Row: JSONRepresentable {
        public var code: String
        public var name: String
        public var known: Int
        public var registered: Int
        public var rate: Double?
        public var json: JSONValue {
            .object([("code", .string(code)), ("name", .string(name)), ("known", .int(Int64(known))),
                     ("registered", .int(Int64(registered))), ("rate", .optional(rate))])
        }
    }

    public struct Result: JSONRepresentable {
        public var rows: [Row]
        public var json: JSONValue { .object([("rows", rows.json)]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let selection = try AreaSelection(context.db, level: level, parent: parent)
        let counts = try RateCounts.byArea(context.db, selection, on: asOf)
        return Result(rows: selection.areas.map { area in
            let c = counts[selection.groupKey(area.code)] ?? RateCounts(known: 0, registered: 0)
            return Row(code: area.code, name: area.name, known: c.known, registered: c.registered, rate: c.rate)
        })
    }
}

/// `metrics.trend`: one area's registration rate on `from` plus k weeks or k calendar
/// months (the day kept, or the month's last day when shorter), while not after `to`.
public struct RegistrationTrend: RegistryRequest {
    public static let method = "metrics.trend"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case area, from, to, step }

    /// The most points one request may ask for (weekly over about 20 years).
    public static let maxPoints = 1100

    public var area: String
    public var from: CivilDate
    public var to: CivilDate
    public var step: TrendStep

    public struct Point: JSONRepresentable {
        public var date: CivilDate
        public var known: Int
        public var registered: Int
        public var rate: Double?
        public var json: JSONValue {
            .object([("date", .string(date.description)), ("known", .int(Int64(known))),
                     ("registered", .int(Int64(registered))), ("rate", .optional(rate))])
        }
    }

    public struct Result: JSONRepresentable {
        public var points: [Point]
        public var json: JSONValue { .object([("points", points.json)]) }
    }

    /// The dates of the points.
    public static func dates(from: CivilDate, to: CivilDate, step: TrendStep) -> [CivilDate] {
        var dates: [CivilDate] = []
        var k = 0
        while true {
            // A step past the calendar's last day ends the series (adding would stop there).
            let beyond = step == .week ? from.dayNumber + 7 * k > CivilDate.latest.dayNumber
                                       : from.year * 12 + from.month - 1 + k >= 10000 * 12
            if beyond { break }
            let date = step == .week ? from.adding(days: 7 * k) : from.adding(months: k)
            if date > to || dates.count > maxPoints { break }
            dates.append(date)
            k += 1
        }
        return dates
    }

    public func execute(in context: OperationContext) throws -> Result {
        let record = try AreaRecord.require(context.db, code: area, field: "area")
        guard from <= to else {
            throw RegistryError.invalid("to", "\(to) is before from \(from)", reason: .invalidDate)
        }
        let dates = Self.dates(from: from, to: to, step: step)
        guard dates.count <= Self.maxPoints else {
            throw RegistryError.invalid("to", "asks for more than \(Self.maxPoints) points; use a shorter range or a longer step")
        }
        // One pass over the area's dated changes (``RentalCounts``), whatever the number of
        // points: each point counts the changes dated on or before it.
        let days = dates.map(\.description)
        var known = [Int](repeating: 0, count: days.count + 1)
        var registered = [Int](repeating: 0, count: days.count + 1)
        var point = 0
        try RentalCounts.changes(context.db, area: record.code) { day, k, r in
            while point < days.count && days[point] < day { point += 1 }
            known[point] += k
            registered[point] += r
        }
        var points: [Point] = []
        var knownCount = 0, registeredCount = 0
        for (index, date) in dates.enumerated() {
            knownCount += known[index]
            registeredCount += registered[index]
            let counts = RateCounts(known: knownCount, registered: registeredCount)
            points.append(Point(date: date, known: counts.known, registered: counts.registered, rate: counts.rate))
        }
        return Result(points: points)
    }
}
