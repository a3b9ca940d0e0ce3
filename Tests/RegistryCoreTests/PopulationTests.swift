import Foundation
import GRDB
import Testing
@testable import RegistryCore

/// The `population` counts that the schema's triggers maintain, and the analyzer's way from
/// them back to any day, held to a scan of every residence.
@Suite("Maintained population counts")
struct PopulationTests {
    static let grids = ["411525003001001", "411525003001002", "411525001001001"]

    /// A registry whose people move in, transfer, move out and change hukou codes at random
    /// over 2018–2025, born in the years whose 15th and 60th birthdays fall in that span
    /// (29 February among them).
    func shuffledCounty(scope: MigrantScope, seed: UInt64) throws -> (TestRegistry, births: [String]) {
        let t = try TestRegistry(scope: scope)
        try t.addAreas()
        for (n, grid) in Self.grids.enumerated() {
            for u in 0..<4 { try t.addUnit("G\(n)U\(u)", grid: grid, kind: u == 3 ? "owner" : "rental", discovered: "2018-01-01") }
        }
        var rng = SplitMix64(seed: seed)
        let hukous = ["411525", "411525003012", "411525001", "341522", "341522101", "420116", "450102003", "710000"]
        let births = ["20050101", "20080229", "20080301", "20100615", "20031231", "19600101", "19640229", "19630615",
                      "19651231", "19900101", "19580704", "20120101"]
        var people: [(id: String, open: Bool, last: Int)] = []
        for i in 0..<60 {
            let birth = births[rng.below(births.count)]
            people.append((makeID(prefix: ["341522", "411525", "420116"][rng.below(3)], birth: birth, sequence: i + 1), false, 0))
        }
        // Days as offsets from 2018-01-01, moving forward so every change is after the last.
        let start = CivilDate("2018-01-01")!
        var day = 0
        for step in 0..<260 {
            // The months are built (from 2018-01 to today's) after the first change: every
            // later one is dated before the latest month, and updates the months since.
            if step == 1 { _ = try t.registry.recountPopulation(operator: "test") }
            day += 1 + rng.below(12)
            let date = start.adding(days: day).description
            let p = rng.below(people.count)
            let unit = "G\(rng.below(Self.grids.count))U\(rng.below(4))"
            let hukou = hukous[rng.below(hukous.count)]
            if people[p].open, rng.chance(0.3) {
                try t.ok("resident.moveOut", #"{"idNumber":"\#(people[p].id)","date":"\#(date)"}"#)
                people[p].open = false
            } else {
                try t.moveIn(people[p].id, unit, on: date, name: "人\(p)", extra: #","hukouCode":"\#(hukou)","transfer":true"#)
                people[p].open = true
            }
        }
        return (t, births)
    }

    /// Days to compare on: every edge of an age band the test's people reach, the days
    /// around them, and days before, inside and after the moves.
    func days(births: [String]) -> [CivilDate] {
        var days = ["2017-06-01", "2018-01-05", "2019-03-01", "2020-02-29", "2021-07-15", "2023-01-01", "2025-12-31", "2026-10-01"]
            .map { CivilDate($0)! }
        for birth in Set(births) {
            let born = CivilDate(String(birth.prefix(4)) + "-" + birth.dropFirst(4).prefix(2) + "-" + birth.suffix(2))!
            for years in [15, 60] {
                let birthday = born.adding(years: years)
                days += [birthday.adding(days: -1), birthday, birthday.adding(days: 1)]
            }
        }
        return days.filter { $0.description >= "2017-01-01" && $0.description <= "2026-12-31" }
    }

    @Test("on every day and at every level, the counts now less the changes since, and a month's counts plus the changes in between, equal a scan",
          arguments: [MigrantScope.county, .subdistrict])
    func maintainedEqualsScan(scope: MigrantScope) throws {
        let (t, births) = try shuffledCounty(scope: scope, seed: scope == .county ? 7 : 11)
        let settings = t.registry.settings
        var compared = 0, fromMonths = 0, living = 0
        try t.registry.read { db in
            for level in [AreaLevel.county, .subdistrict, .community, .grid] {
                for parent in [nil, "411525003", "411525003001"] as [String?] {
                    let selection = try AreaSelection(db, level: level, parent: parent)
                    for day in days(births: births) {
                        let maintained = try PopulationTally.maintained(db, selection, on: day, settings: settings)
                        let scanned = try PopulationTally.scanned(db, selection, on: day, settings: settings)
                        #expect(maintained.byArea == scanned.byArea, "\(level) under \(parent ?? "-") on \(day)")
                        if let month = try PopulationTally.fromMonth(db, selection, on: day, settings: settings) {
                            #expect(month.byArea == scanned.byArea, "from the month: \(level) under \(parent ?? "-") on \(day)")
                            fromMonths += 1
                        }
                        compared += 1
                        living += scanned.byArea.values.reduce(0) { $0 + $1.residents }
                    }
                }
            }
            #expect(try Self.monthRowsDifferingFromViews(db) == 0)
        }
        #expect(compared > 200)
        #expect(fromMonths > compared * 3 / 4, "the days after the first month taken start from a month")
        #expect(living > 1000, "the comparison saw people living there")
        #expect(try t.registry.check().populationMismatches == 0)
    }

    /// The `population_month` rows that the schema's definition (`population_month_share`,
    /// grouped) gives otherwise, or the other way round.
    static func monthRowsDifferingFromViews(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: """
            WITH kept AS (SELECT month, grid, facet, value, people FROM population_month WHERE people > 0),
                 defined AS (SELECT month, grid, facet, value, count(*) AS people FROM population_month_share GROUP BY 1, 2, 3, 4)
            SELECT (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM defined))
                 + (SELECT count(*) FROM (SELECT * FROM defined EXCEPT SELECT * FROM kept))
            """) ?? -1
    }

    @Test("analysis.demographics starts from the day's month on any day after the first month taken, and scans before it")
    func chosenWay() throws {
        let (t, _) = try shuffledCounty(scope: .county, seed: 3)
        try t.registry.read { db in
            let selection = try AreaSelection(db, level: .grid, parent: nil)
            let first = try #require(try String.fetchOne(db, sql: "SELECT min(month) FROM population_month_taken"))
            #expect(first == "2018-01-01")
            for day in ["2018-02-01", "2020-06-15", "2026-10-01"] {
                #expect(try PopulationTally(db, selection, on: CivilDate(day)!, settings: t.registry.settings).way == .month, "\(day)")
            }
            #expect(try PopulationTally(db, selection, on: CivilDate("2017-12-31")!, settings: t.registry.settings).way == .scan)
        }
    }

    @Test("the months follow backdated registrations, move-outs, transfers and hukou changes, and a new month is taken from the counts now")
    func monthsFollowBackdatedChanges() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A")
        try t.addUnit("B", grid: "411525001001001")
        let a = makeID(prefix: "341522", birth: "20100315", sequence: 1)
        let b = makeID(prefix: "411525", birth: "19650310", sequence: 2)
        try t.moveIn(a, "A", on: "2024-01-10", extra: #","hukouCode":"341522""#)
        // The months 2024-01 … today's are built from the residences.
        #expect(try t.registry.recountPopulation(operator: "test") > 20)
        try t.moveIn(b, "A", on: "2024-02-01")
        func months() throws -> [String] {
            try t.registry.read { db in
                #expect(try Self.monthRowsDifferingFromViews(db) == 0)
                return try Row.fetchAll(db, sql: """
                    SELECT month, grid, facet, value, people FROM population_month
                    WHERE month IN ('2024-02-01', '2025-03-01', '2025-04-01') AND people > 0 ORDER BY 1, 2, 3, 4
                    """).map { "\($0[0] as String) \(($0[1] as String).dropFirst(6)) \($0[2] as String) \($0[3] as String) \($0[4] as Int)" }
            }
        }
        // a (born 2010-03-15) is under 15 until March 2025, whose rows hold her date of
        // birth; b (born 1965-03-10) reaches 60 in March 2025.
        #expect(try months() == [
            "2024-02-01 003001001 age young 1", "2024-02-01 003001001 origin 34 1",
            "2024-02-01 003001001 sex female 1", "2024-02-01 003001001 sex male 1",
            "2025-03-01 003001001 age 1965-03-10 1", "2025-03-01 003001001 age 2010-03-15 1", "2025-03-01 003001001 origin 34 1",
            "2025-03-01 003001001 sex female 1", "2025-03-01 003001001 sex male 1",
            "2025-04-01 003001001 age old 1", "2025-04-01 003001001 origin 34 1",
            "2025-04-01 003001001 sex female 1", "2025-04-01 003001001 sex male 1",
        ])
        // A transfer dated back into 2025: a leaves A's grid on 2025-03-20 for B's, with a
        // new hukou (no longer a migrant, in every month); b moves out on 2025-03-01 itself.
        try t.moveIn(a, "B", on: "2025-03-20", extra: ##","hukouCode":"411525","transfer":true"##)
        try t.ok("resident.moveOut", #"{"idNumber":"\#(b)","date":"2025-03-01"}"#)
        #expect(try months() == [
            "2024-02-01 003001001 age young 1", "2024-02-01 003001001 sex female 1", "2024-02-01 003001001 sex male 1",
            "2025-03-01 003001001 age 2010-03-15 1", "2025-03-01 003001001 sex male 1",
            "2025-04-01 001001001 sex male 1",
        ])
        // Months taken from the counts now (as at the first write of a new month) equal the
        // same months built from the residences; among the people, two born on the first
        // day of an edge month (2010-03-01 for March 2025, 1965-04-01 for April 2025).
        try t.moveIn(makeID(prefix: "411525", birth: "20100301", sequence: 3), "B", on: "2024-03-01")
        try t.moveIn(makeID(prefix: "341522", birth: "19650401", sequence: 4), "B", on: "2024-03-01")
        let query = "SELECT * FROM population_month WHERE month >= '2025-01-01' AND people > 0 ORDER BY 1, 2, 3, 4"
        let built = try t.registry.read { try Row.fetchAll($0, sql: query) }
        try t.registry.pool.write { db in
            try db.execute(sql: "DELETE FROM population_month WHERE month >= '2025-01-01'; DELETE FROM population_month_taken WHERE month >= '2025-01-01'")
            try PopulationMonths.extend(db, through: .today())
        }
        #expect(try t.registry.read { try Row.fetchAll($0, sql: query) } == built)
        #expect(built.count > 40)
        // A month begun since the last write: the next write takes it first, and then counts
        // its own registration, dated before it, in it too.
        try t.registry.pool.write { db in
            let latest = try #require(try PopulationMonths.latest(db)).description
            try db.execute(sql: "DELETE FROM population_month WHERE month = ?; DELETE FROM population_month_taken WHERE month = ?",
                           arguments: [latest, latest])
        }
        try t.moveIn(makeID(prefix: "341522", birth: "19700101", sequence: 5), "A", on: "2024-06-01")
        #expect(try t.registry.read { try Self.monthRowsDifferingFromViews($0) } == 0)
        #expect(try t.registry.check().populationMismatches == 0)
        #expect(try t.registry.check().populationMismatches == 0)
    }

    @Test("one group commit of registrations, transfers, move-outs and refusals (some after writing) keeps the counts a recount finds",
          arguments: [Registry.Isolation.optimistic, .savepoints])
    func groupCommitKeepsCounts(isolation: Registry.Isolation) throws {
        let t = try TestRegistry()
        try t.addAreas()
        for (n, grid) in Self.grids.enumerated() {
            for u in 0..<3 { try t.addUnit("G\(n)U\(u)", grid: grid, discovered: "2018-01-01") }
        }
        // A household with a head: registering another head into it is refused after the
        // person, the residence and their shares are written (the one-head index).
        let head = makeID(sequence: 900)
        try t.moveIn(head, "G0U0", on: "2025-01-02")
        let household = try t.ok("household.create", #"{"unitId":"G0U0","headIdNumber":"\#(head)"}"#)["householdId"]!.intValue!
        var rng = SplitMix64(seed: 5)
        let start = CivilDate("2025-02-01")!
        // First, people born in years nobody else was, into a grid where nobody lives yet,
        // moved on at once in the same group: their old rows exist only as held shares.
        let (x, y) = (makeID(birth: "19770707", sequence: 501), makeID(birth: "19780808", sequence: 502))
        var requests: [(String, String)] = [
            ("resident.register", #"{"idNumber":"\#(x)","name":"丁","unitId":"G2U0","movedIn":"2025-01-10"}"#),
            ("resident.register", #"{"idNumber":"\#(x)","name":"丁","unitId":"G0U1","movedIn":"2025-01-20","transfer":true}"#),
            ("resident.register", #"{"idNumber":"\#(y)","name":"戊","unitId":"G2U1","movedIn":"2025-01-10"}"#),
            ("resident.moveOut", #"{"idNumber":"\#(y)","date":"2025-01-20"}"#),
        ]
        for step in 0..<300 {
            let person = makeID(prefix: ["341522", "411525", "420116"][rng.below(3)], birth: ["19900101", "20080229", "19600101"][rng.below(3)],
                                sequence: rng.below(40) + 1)
            let date = start.adding(days: step).description
            let unit = "G\(rng.below(Self.grids.count))U\(rng.below(3))"
            switch rng.below(10) {
            case 0, 1:
                requests.append(("resident.moveOut", #"{"idNumber":"\#(person)","date":"\#(date)"}"#))
            case 2:
                requests.append(("resident.register", #"{"idNumber":"\#(person)","name":"甲","unitId":"G0U0","movedIn":"\#(date)","transfer":true,"householdId":\#(household),"relation":"head"}"#))
            case 3:
                requests.append(("resident.register", #"{"idNumber":"\#(person)","name":"乙","unitId":"NOPE","movedIn":"\#(date)"}"#))
            default:
                requests.append(("resident.register", #"{"idNumber":"\#(person)","name":"丙","unitId":"\#(unit)","movedIn":"\#(date)","transfer":true}"#))
            }
        }
        var outcomes: [Bool] = []
        try t.registry.performGroup(operator: "test", isolation: isolation) { group in
            outcomes = []   // an optimistic group may run twice
            for (method, params) in requests {
                guard let params = try? JSONParser.parse(Data(params.utf8)) else { Issue.record("bad params"); return }
                outcomes.append((try? group.perform(method: method, params: params).get()) != nil)
            }
        }
        #expect(outcomes.filter { $0 }.count > 150)
        #expect(outcomes.filter { !$0 }.count > 40)
        let report = try t.registry.check()
        #expect(report.populationMismatches == 0)
        #expect(report.isSound)
    }

    @Test("the triggers keep the counts through a transfer, a move-out and a hukou change")
    func triggersFollowChanges() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A")
        try t.addUnit("B", grid: "411525001001001")
        let id = makeID(prefix: "341522", birth: "19900101", sequence: 1)
        func rows() throws -> [String] {
            try t.registry.read { db in
                try Row.fetchAll(db, sql: "SELECT grid, facet, value, people FROM population WHERE people > 0 ORDER BY 1, 2, 3")
                    .map { "\($0[0] as String) \($0[1] as String) \($0[2] as String) \($0[3] as Int)" }
            }
        }
        try t.moveIn(id, "A", on: "2025-01-01", extra: #","hukouCode":"341522""#)
        #expect(try rows() == ["411525003001001 born 1990 1", "411525003001001 origin 34 1", "411525003001001 sex male 1"])
        try t.moveIn(id, "B", on: "2025-02-01", extra: ##","hukouCode":"420116","transfer":true"##)
        #expect(try rows() == ["411525001001001 born 1990 1", "411525001001001 origin 42 1", "411525001001001 sex male 1"])
        try t.moveIn(id, "B", on: "2025-02-01", extra: ##","hukouCode":"411525","transfer":true"##)
        #expect(try rows() == ["411525001001001 born 1990 1", "411525001001001 sex male 1"])
        try t.ok("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-03-01"}"#)
        #expect(try rows() == [])
        #expect(try t.registry.check().isSound)
    }

    @Test("registry check finds counts changed behind the triggers' back; a count below zero is refused")
    func checkFindsTampering() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A")
        try t.moveIn(makeID(prefix: "341522", birth: "19900101", sequence: 1), "A", on: "2025-01-01")
        #expect(try t.registry.check().isSound)
        try t.registry.pool.write { try $0.execute(sql: "UPDATE population SET people = people + 1 WHERE facet = 'sex'") }
        let report = try t.registry.check()
        #expect(report.populationMismatches == 1)
        #expect(!report.isSound)
        #expect(throws: DatabaseError.self) {
            try t.registry.pool.write { try $0.execute(sql: "UPDATE population SET people = -1 WHERE facet = 'born'") }
        }
        try t.registry.pool.write { try $0.execute(sql: "UPDATE population SET people = people - 1 WHERE facet = 'sex'") }
        #expect(try t.registry.check().isSound)
    }

    @Test("a recount reads units with row ids far beyond their number (set by hand) without an array that large")
    func recountWithSparseUnitIds() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A")
        try t.addUnit("B")
        // 2^40 as an index of 4-byte entries would be a 4 TiB array.
        try t.registry.pool.write { try $0.execute(sql: "UPDATE unit SET id = 1099511627776 WHERE unit_id = 'B'") }
        try t.moveIn(makeID(prefix: "341522", birth: "19900101", sequence: 1), "A", on: "2024-01-01")
        try t.moveIn(makeID(prefix: "411525", birth: "20120315", sequence: 2), "B", on: "2024-02-01")
        _ = try t.registry.recountPopulation(operator: "test")
        #expect(try t.registry.read { try Self.monthRowsDifferingFromViews($0) } == 0)
        #expect(try t.registry.read { try Int.fetchOne($0, sql: "SELECT sum(people) FROM population WHERE facet = 'sex'") } == 2)
        #expect(try t.registry.check().isSound)
    }

    @Test("registry check finds a month's counts changed by hand, and a month taken out")
    func checkFindsMonthsTampering() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A")
        try t.moveIn(makeID(prefix: "341522", birth: "19900101", sequence: 1), "A", on: "2025-01-01")
        #expect(try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM population_month_taken") ?? 0 } == 0,
                "no month is taken by a write before they are built")
        _ = try t.registry.recountPopulation(operator: "test")
        try t.moveIn(makeID(prefix: "341522", birth: "19850101", sequence: 2), "A", on: "2025-01-02")
        #expect(try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM population_month_taken") ?? 0 } > 10)
        #expect(try t.registry.check().isSound)
        try t.registry.pool.write { try $0.execute(sql: "UPDATE population_month SET people = people + 1 WHERE month = '2025-06-01' AND facet = 'sex'") }
        #expect(try t.registry.check().populationMismatches == 1)
        try t.registry.pool.write { try $0.execute(sql: "UPDATE population_month SET people = people - 1 WHERE month = '2025-06-01' AND facet = 'sex'") }
        #expect(try t.registry.check().isSound)
        try t.registry.pool.write {
            try $0.execute(sql: "INSERT INTO population_month VALUES ('2000-01-01', '411525003001001', 'sex', 'male', 1)")
        }
        #expect(try t.registry.check().populationMismatches == 1, "a row of a month not taken")
        try t.registry.pool.write { try $0.execute(sql: "DELETE FROM population_month WHERE month = '2000-01-01'") }
        try t.registry.pool.write { try $0.execute(sql: "DELETE FROM population_month_taken WHERE month = '2025-07-01'") }
        #expect(try t.registry.check().populationMismatches == 1)
        #expect(throws: DatabaseError.self) {
            try t.registry.pool.write { try $0.execute(sql: "UPDATE population_month SET people = -1 WHERE facet = 'sex'") }
        }
    }

    @Test("registry check finds a residence inserted behind the registry's back, and birthdays changed by hand")
    func checkFindsResidenceInsertedByHand() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A")
        try t.addUnit("B")
        try t.moveIn(makeID(prefix: "341522", birth: "19900101", sequence: 1), "A", on: "2025-01-01")
        try t.moveIn(makeID(prefix: "341522", birth: "19850101", sequence: 2), "B", on: "2025-01-01")
        #expect(try t.registry.check().populationMismatches == 0)
        // Someone with the file and sqlite3 opens a second residence row for the first person's
        // unit by hand: no trigger counts a new residence (schema 10), so the check must.
        try t.registry.pool.write { db in
            try db.execute(sql: "UPDATE residence SET moved_out = '2025-06-01' WHERE unit = (SELECT id FROM unit WHERE unit_id = 'B')")
            try db.execute(sql: """
                INSERT INTO residence (resident, unit, moved_in)
                SELECT resident, (SELECT id FROM unit WHERE unit_id = 'B'), '2025-06-02' FROM residence WHERE unit = (SELECT id FROM unit WHERE unit_id = 'B')
                """)
        }
        #expect(try t.registry.check().populationMismatches > 0)
        let fresh = try TestRegistry()
        try fresh.addAreas()
        try fresh.addUnit("A")
        try fresh.moveIn(makeID(prefix: "341522", birth: "19900101", sequence: 1), "A", on: "2025-01-01")
        try fresh.registry.pool.write { try $0.execute(sql: "UPDATE population_birthday SET born = '1990-01-02'") }
        #expect(try fresh.registry.check().populationMismatches == 2)
    }

    @Test("a grid's month rows go to its area whole: two-digit provinces by number, any other origin value as it is, a grid outside the selection nowhere")
    func gridRowsHandOver() {
        var counts: [String: PopulationTally.Counts] = ["411525003": PopulationTally.Counts(residents: 1, migrants: 1, origins: ["34": 1])]
        for (code, area) in [("411525003001001", "411525003" as String?), ("411525003001002", "411525003"), ("411525001001001", nil)] {
            var grid = PopulationTally.GridRows(code: Array(code.utf8), area: area)
            grid.counts.add(people: 2, male: 1, female: 1, children: 0, elderly: 0, migrantsFrom: nil)
            for origin in ["34", "05", "x9"] {
                grid.counts.migrants += 1
                var text = origin
                text.withUTF8 { grid.addOrigin($0, 1) }
            }
            grid.handOver(to: &counts)
        }
        #expect(counts.count == 1)
        #expect(counts["411525003"]?.residents == 1 + 2 + 2)
        #expect(counts["411525003"]?.migrants == 1 + 3 + 3)
        #expect(counts["411525003"]?.origins == ["34": 3, "05": 2, "x9": 2])
    }
}
