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

    /// The counts per area of `selection` on `date`, by ``AreaSelection/groupKey(_:)``.
    static func byArea(_ db: Database, _ selection: AreaSelection, on date: CivilDate) throws -> [String: RateCounts] {
        let day = date.description
        var arguments: StatementArguments = [day, day, day]
        arguments += selection.unitCondition.arguments
        let sql = """
            SELECT \(selection.groupColumn), count(*), coalesce(sum(u.registered_on <= ?), 0)
            FROM unit u
            WHERE u.kind = 'rental' AND u.discovered_on <= ? AND (u.closed_on IS NULL OR u.closed_on > ?)
              AND \(selection.unitCondition.sql)
            GROUP BY \(selection.groupColumns)
            """
        var counts: [String: RateCounts] = [:]
        for row in try db.cachedRows(sql: sql, arguments: arguments) {
            counts[row[0]] = RateCounts(known: row[1], registered: row[2])
        }
        return counts
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
        // One pass over the area's rental units, whatever the number of points: each unit
        // is known from the first point on or after its discovery until the first point on
        // or after its closing, and registered from the first point on or after its filing.
        // Counting by difference arrays keeps the boundaries exactly as the per-date rate.
        let days = dates.map(\.description)
        var known = [Int](repeating: 0, count: days.count + 1)
        var registered = [Int](repeating: 0, count: days.count + 1)
        let inArea = record.containsFilter(alias: "u")
        /// The first point on or after `day`.
        func firstPoint(onOrAfter day: String) -> Int {
            var low = 0, high = days.count
            while low < high {
                let middle = (low + high) / 2
                if days[middle] < day { low = middle + 1 } else { high = middle }
            }
            return low
        }
        let statement = try RawStatement(context.db, "SELECT discovered_on, registered_on, closed_on FROM unit u WHERE u.kind = 'rental' AND \(inArea.sql)")
        for (index, code) in inArea.codes.enumerated() { statement.bind(Int32(index + 1), code) }
        try statement.each { columns in
            let start = firstPoint(onOrAfter: columns.string(0))
            let end = columns.text(2).map { firstPoint(onOrAfter: $0) } ?? days.count
            guard start < end else { return }
            known[start] += 1
            known[end] -= 1
            if let filed = columns.text(1) {
                let from = max(start, firstPoint(onOrAfter: filed))
                if from < end {
                    registered[from] += 1
                    registered[end] -= 1
                }
            }
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
