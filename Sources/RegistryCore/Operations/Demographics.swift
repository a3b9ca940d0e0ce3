import GRDB

/// `analysis.demographics`: the population profile of every area of a level on `asOf`.
///
/// Counts the people living in each area on `asOf` (a residence with `movedIn ≤ asOf` and
/// no `movedOut`, or `movedOut > asOf`): migrants and their share (flagged when
/// `migrantShare ≥ threshold`), sex, age bands in whole years on `asOf`, and the five
/// provinces most migrants come from (by count, then code).
public struct Demographics: RegistryRequest {
    public static let method = "analysis.demographics"
    public var isReadOnly: Bool { true }
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
        let selection = try AreaSelection(context.db, level: level, parent: parent)
        let tally = try PopulationTally(context.db, selection, on: asOf, settings: context.settings)
        return Result(rows: selection.areas.map { area in
            let counts = tally.byArea[selection.groupKey(area.code)] ?? PopulationTally.Counts()
            let share = counts.residents == 0 ? nil : Double(counts.migrants) / Double(counts.residents)
            let top = counts.origins.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(5)
            return Row(code: area.code, name: area.name, residents: counts.residents, migrants: counts.migrants,
                       migrantShare: share, flagged: share.map { $0 >= threshold } ?? false,
                       male: counts.male, female: counts.female,
                       ageBands: (counts.children, counts.working, counts.elderly),
                       topOrigins: top.map { Origin(province: $0.key, name: Province.name(of: $0.key), count: $0.value) })
        })
    }
}
