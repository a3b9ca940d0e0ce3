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
    static func byArea(_ db: Database, _ selection: AreaSelection, on date: CivilDate,
                       restrictedTo extra: (sql: String, arguments: StatementArguments)? = nil) throws -> [String: RateCounts] {
        let day = date.description
        var arguments: StatementArguments = [day, day, day]
        arguments += selection.unitCondition.arguments
        var sql = """
            SELECT \(selection.groupColumn), count(*), coalesce(sum(u.registered_on <= ?), 0)
            FROM unit u
            WHERE u.kind = 'rental' AND u.discovered_on <= ? AND (u.closed_on IS NULL OR u.closed_on > ?)
              AND \(selection.unitCondition.sql)
            """
        if let extra {
            sql += " AND " + extra.sql
            arguments += extra.arguments
        }
        sql += " GROUP BY 1"
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
            throw RegistryError.invalid("to", "\(to) is before from \(from)", reason: "invalid_date")
        }
        let dates = Self.dates(from: from, to: to, step: step)
        guard dates.count <= Self.maxPoints else {
            throw RegistryError.invalid("to", "asks for more than \(Self.maxPoints) points; use a shorter range or a longer step")
        }
        let selection = try AreaSelection(context.db, level: .county, parent: nil)
        let inArea = record.containsCondition(alias: "u")
        return Result(points: try dates.map { date in
            let c = try RateCounts.byArea(context.db, selection, on: date, restrictedTo: inArea)["*"] ?? RateCounts(known: 0, registered: 0)
            return Point(date: date, known: c.known, registered: c.registered, rate: c.rate)
        })
    }
}
