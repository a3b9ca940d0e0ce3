import GRDB

/// `analysis.demographics`: the population profile of every area of a level on `asOf`.
///
/// Counts the people living in each area on `asOf` (a residence with `movedIn ≤ asOf` and
/// no `movedOut`, or `movedOut > asOf`): migrants and their share (flagged when
/// `migrantShare ≥ threshold`), sex, age bands in whole years on `asOf`, and the five
/// provinces most migrants come from (by count, then code).
public struct Demographics: RegistryRequest {
    public static let method = "analysis.demographics"
    public enum CodingKeys: String, CodingKey, CaseIterable { case level, asOf, threshold, parent }

    public var level: AreaLevel
    public var asOf: CivilDate
    public var threshold: Double?
    public var parent: String?

    public struct Origin: JSONRepresentable {
        public var province: String
        public var name: String
        public var count: Int
        public var json: JSONValue {
            .object([("province", .string(province)), ("name", .string(name)), ("count", .int(Int64(count)))])
        }
    }

    public struct Row: JSONRepresentable {
        public var code: String
        public var name: String
        public var residents: Int
        public var migrants: Int
        public var migrantShare: Double?
        public var flagged: Bool
        public var male: Int
        public var female: Int
        /// People aged 0–14, 15–59 and 60 or more.
        public var ageBands: (children: Int, working: Int, elderly: Int)
        public var topOrigins: [Origin]
        public var json: JSONValue {
            .object([
                ("code", .string(code)), ("name", .string(name)), ("residents", .int(Int64(residents))),
                ("migrants", .int(Int64(migrants))), ("migrantShare", .optional(migrantShare)), ("flagged", .bool(flagged)),
                ("male", .int(Int64(male))), ("female", .int(Int64(female))),
                ("ageBands", .object([("0-14", .int(Int64(ageBands.children))), ("15-59", .int(Int64(ageBands.working))),
                                      ("60+", .int(Int64(ageBands.elderly)))])),
                ("topOrigins", topOrigins.json),
            ])
        }
    }

    public struct Result: JSONRepresentable {
        public var rows: [Row]
        public var json: JSONValue { .object([("rows", rows.json)]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let threshold = threshold ?? 0.5
        guard threshold.isFinite, (0...1).contains(threshold) else {
            throw RegistryError.invalid("threshold", "must be a number from 0 to 1")
        }
        let db = context.db
        let selection = try AreaSelection(db, level: level, parent: parent)
        let day = asOf.description
        // Born after these days, a person is under 15 (under 60) on asOf.
        let under15 = asOf.adding(years: -15).description
        let under60 = asOf.adding(years: -60).description
        let migrant = context.settings.migrantSQL(hukou: "r.hukou_code", subdistrict: "u.subdistrict")
        let living = """
            FROM residence x
            JOIN unit u ON u.id = x.unit
            JOIN resident r ON r.id = x.resident
            WHERE x.moved_in <= ? AND (x.moved_out IS NULL OR x.moved_out > ?) AND \(selection.unitCondition.sql)
            """
        var arguments: StatementArguments = [under15, under15, under60, under60, day, day]
        arguments += selection.unitCondition.arguments
        var profiles: [String: Row] = [:]
        for row in try db.cachedRows(sql: """
            SELECT \(selection.groupColumn), count(*), sum(\(migrant)), sum(r.sex = 'male'), sum(r.sex = 'female'),
                   sum(r.birth_date > ?), sum(r.birth_date <= ? AND r.birth_date > ?), sum(r.birth_date <= ?)
            \(living)
            GROUP BY 1
            """, arguments: arguments) {
            let residents: Int = row[1]
            let migrants: Int = row[2]
            let share = residents == 0 ? nil : Double(migrants) / Double(residents)
            profiles[row[0]] = Row(code: "", name: "", residents: residents, migrants: migrants, migrantShare: share,
                                   flagged: share.map { $0 >= threshold } ?? false, male: row[3], female: row[4],
                                   ageBands: (row[5], row[6], row[7]), topOrigins: [])
        }
        var originArguments: StatementArguments = [day, day]
        originArguments += selection.unitCondition.arguments
        var origins: [String: [Origin]] = [:]
        for row in try db.cachedRows(sql: """
            SELECT \(selection.groupColumn), substr(r.hukou_code, 1, 2) AS province, count(*) AS n
            \(living) AND \(migrant)
            GROUP BY 1, 2
            ORDER BY 1, n DESC, province
            """, arguments: originArguments) {
            let key: String = row[0]
            if origins[key, default: []].count < 5 {
                let code: String = row[1]
                origins[key, default: []].append(Origin(province: code, name: Province.name(of: code), count: row[2]))
            }
        }
        return Result(rows: selection.areas.map { area in
            let key = selection.groupKey(area.code)
            var row = profiles[key] ?? Row(code: "", name: "", residents: 0, migrants: 0, migrantShare: nil, flagged: false,
                                           male: 0, female: 0, ageBands: (0, 0, 0), topOrigins: [])
            row.code = area.code
            row.name = area.name
            row.topOrigins = origins[key] ?? []
            return row
        })
    }
}

