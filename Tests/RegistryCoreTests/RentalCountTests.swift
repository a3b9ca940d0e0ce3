import Foundation
import GRDB
import Testing
@testable import RegistryCore

/// The rental counts the schema's triggers keep per area and day and per grid and month
/// (``RentalCounts``), held to a scan of every rental unit.
@Suite("Maintained rental counts")
struct RentalCountTests {
    static let grids = ["411525003001001", "411525003001002", "411525001001001"]

    /// Known and registered rental units per area of `selection` on `day`, from the units
    /// themselves: the definition the kept counts must give.
    static func scanned(_ db: Database, _ selection: AreaSelection, on day: CivilDate) throws -> [String: [Int]] {
        let condition = selection.unitCondition
        var counts: [String: [Int]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT \(selection.groupColumn), count(*), coalesce(sum(u.registered_on <= ?), 0) FROM unit u
            WHERE u.kind = 'rental' AND u.discovered_on <= ? AND (u.closed_on IS NULL OR u.closed_on > ?) AND \(condition.sql)
            GROUP BY \(selection.groupColumn)
            """, arguments: [day.description, day.description, day.description] + condition.arguments) {
            counts[row[0]] = [row[1], row[2]]
        }
        return counts
    }

    /// Rental units added, registered and closed in random order, dated anywhere in
    /// 2017–2026 (owner-occupied ones among them), with the months built after the first
    /// third of the changes: every later change is dated before some month taken. The
    /// third grid gets its first unit only after that.
    func shuffledUnits(seed: UInt64) throws -> TestRegistry {
        let t = try TestRegistry()
        try t.addAreas()
        var rng = SplitMix64(seed: seed)
        let start = CivilDate("2017-01-01")!
        var units: [(id: String, discovered: CivilDate, registered: CivilDate?, closed: Bool)] = []
        for step in 0..<240 {
            if step == 80 { _ = try t.registry.recountPopulation(operator: "test") }
            let choice = rng.below(10)
            if choice < 5 || units.isEmpty {
                let discovered = start.adding(days: rng.below(3600))
                let grid = Self.grids[rng.below(step < 80 ? 2 : 3)]
                let id = "R\(step)"
                let owner = rng.chance(0.15)
                let registered = !owner && rng.chance(0.3) ? discovered.adding(days: rng.below(60)) : nil
                _ = try t.addUnit(id, grid: grid, kind: owner ? "owner" : "rental", discovered: discovered.description,
                                  registered: registered?.description)
                units.append((id, discovered, registered, false))
            } else {
                let n = rng.below(units.count)
                let unit = units[n]
                guard !unit.closed else { continue }
                let after = unit.registered ?? unit.discovered
                let date = after.adding(days: rng.below(400))
                if unit.registered == nil, choice < 8 {
                    if case .success = t.call("unit.register", #"{"unitId":"\#(unit.id)","date":"\#(date)"}"#) { units[n].registered = date }
                } else {
                    if case .success = t.call("unit.close", #"{"unitId":"\#(unit.id)","date":"\#(date)"}"#) { units[n].closed = true }
                }
            }
        }
        return t
    }

    @Test("on every day, at every level and under every parent, the kept counts equal a scan of the units; so does every trend")
    func maintainedEqualsScan() throws {
        let t = try shuffledUnits(seed: 5)
        var days = [CivilDate("2016-12-31")!, CivilDate("2017-01-01")!, CivilDate("2030-01-01")!]
        var rng = SplitMix64(seed: 9)
        for _ in 0..<60 { days.append(CivilDate("2017-01-01")!.adding(days: rng.below(3700))) }
        // Both sides of month boundaries: a month's row counts the changes before its first day.
        for month in ["2019-03-01", "2021-01-01", "2024-02-01"] {
            let first = CivilDate(month)!
            days += [first.adding(days: -1), first, first.adding(days: 1)]
        }
        var compared = 0, known = 0
        try t.registry.read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM rental_count_month") ?? 0 > 100, "months were taken")
            for level in [AreaLevel.county, .subdistrict, .community, .grid] {
                for parent in [nil, "411525003", "411525003001"] as [String?] {
                    let selection = try AreaSelection(db, level: level, parent: parent)
                    for day in days {
                        let kept = try RateCounts.byArea(db, selection, on: day).mapValues { [$0.known, $0.registered] }.filter { $0.value != [0, 0] }
                        #expect(kept == (try Self.scanned(db, selection, on: day)), "\(level) under \(parent ?? "-") on \(day)")
                        known += kept.values.reduce(0) { $0 + $1[0] }
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 500)
        #expect(known > 5000, "the comparison saw units")
        for area in ["411525", "411525003", "411525003001", "411525003001002", "411525001001001"] {
            for step in ["week", "month"] {
                let points = try t.ok("metrics.trend", #"{"area":"\#(area)","from":"2016-11-15","to":"2027-01-31","step":"\#(step)"}"#)["points"]!.arrayValue!
                #expect(points.count > 100)
                let record = try t.registry.read { try AreaRecord.require($0, code: area, field: "area") }
                for point in points {
                    let day = CivilDate(point["date"]!.stringValue!)!
                    let scan = try t.registry.read { db in
                        try Self.scanned(db, AreaSelection(db, level: record.level, parent: record.parent), on: day)[record.level == .county ? "*" : area]
                    } ?? [0, 0]
                    #expect([Int(point["known"]!.intValue!), Int(point["registered"]!.intValue!)] == scan, "\(area) \(step) on \(day)")
                }
            }
        }
        let report = try t.registry.check()
        #expect(report.rentalCountMismatches == 0)
        #expect(report.isSound)
    }

    @Test("a grid's months are its changes before each month's first day, and a month taken later starts from the one before")
    func monthsAreChangesBefore() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A", discovered: "2024-01-15", registered: "2024-03-01")
        try t.addUnit("B", discovered: "2024-03-01")
        try t.ok("unit.close", #"{"unitId":"A","date":"2024-05-01"}"#)
        // The first write took today's month only; a recount takes every month from 2024-01.
        let taken = { try t.registry.read { try String.fetchAll($0, sql: "SELECT month FROM rental_count_month_taken ORDER BY month") } }
        #expect(try taken() == [PopulationMonths.start(of: .today()).description])
        _ = try t.registry.recountPopulation(operator: "test")
        #expect(try taken().first == "2024-01-01")
        let months = try t.registry.read { db in
            try Row.fetchAll(db, sql: "SELECT month, known, registered FROM rental_count_month WHERE month <= '2024-06-01' ORDER BY month")
                .map { "\($0[0] as String) \($0[1] as Int) \($0[2] as Int)" }
        }
        // No row for January (nothing before its first day); March's first day's changes
        // (A filed, B found) count from April; May's (A closed) from June.
        #expect(months == ["2024-02-01 1 0", "2024-03-01 1 0", "2024-04-01 2 1", "2024-05-01 2 1", "2024-06-01 1 0"])
        // Months taken since: remove the latest ones and take them again from the one before.
        let latest = try t.registry.read { db in try Row.fetchAll(db, sql: "SELECT * FROM rental_count_month ORDER BY grid, month") }
        try t.registry.pool.write { db in
            try db.execute(sql: "DELETE FROM rental_count_month WHERE month > '2024-04-01'; DELETE FROM rental_count_month_taken WHERE month > '2024-04-01'")
            try RentalCounts.extend(db, through: .today())
        }
        #expect(try t.registry.read { db in try Row.fetchAll(db, sql: "SELECT * FROM rental_count_month ORDER BY grid, month") } == latest)
        #expect(try t.registry.check().isSound)
    }

    @Test("registry check finds a day's or a month's count changed by hand, and a month taken out; a month below zero is refused")
    func checkFindsTampering() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A", discovered: "2024-01-15", registered: "2024-03-01")
        _ = try t.registry.recountPopulation(operator: "test")
        #expect(try t.registry.check().isSound)
        for (tamper, undo) in [
            ("UPDATE rental_count_day SET known = known + 1 WHERE area = '411525003' AND day = '2024-01-15'",
             "UPDATE rental_count_day SET known = known - 1 WHERE area = '411525003' AND day = '2024-01-15'"),
            ("UPDATE rental_count_month SET registered = 1 WHERE month = '2024-02-01'",
             "UPDATE rental_count_month SET registered = 0 WHERE month = '2024-02-01'"),
            ("INSERT INTO rental_count_day VALUES ('411525001001001', '2020-01-01', 1, 0)",
             "DELETE FROM rental_count_day WHERE area = '411525001001001'"),
            ("DELETE FROM rental_count_month_taken WHERE month = '2024-06-01'",
             "INSERT INTO rental_count_month_taken VALUES ('2024-06-01')"),
        ] {
            try t.registry.pool.write { try $0.execute(sql: tamper) }
            let report = try t.registry.check()
            #expect(report.rentalCountMismatches > 0, "\(tamper)")
            #expect(!report.isSound)
            try t.registry.pool.write { try $0.execute(sql: undo) }
            #expect(try t.registry.check().isSound, "\(undo)")
        }
        #expect(throws: DatabaseError.self) {
            try t.registry.pool.write { try $0.execute(sql: "UPDATE rental_count_month SET known = -1") }
        }
        // A recount repairs what was changed by hand.
        try t.registry.pool.write { try $0.execute(sql: "UPDATE rental_count_day SET registered = 5 WHERE day = '2024-03-01'") }
        #expect(try t.registry.check().rentalCountMismatches > 0)
        _ = try t.registry.recountPopulation(operator: "test")
        #expect(try t.registry.check().isSound)
    }

    @Test("a county's first units import counts the rentals once at its end, with every month from the earliest; a later large one sets the triggers aside after 200 rows and counts again; a refused one leaves the triggers")
    func firstUnitsImport() throws {
        let t = try TestRegistry()
        // About 290 units in each half: the second import passes the 200 rows worth a recount.
        let (out, lines) = try t.generatedUnitsInHalves(residents: 1000)
        // A bad row (the same unit twice) refuses the whole first load, and the triggers are there after it.
        try [lines[0], lines[1], lines[1]].joined(separator: "\r\n")
            .appending("\r\n").write(toFile: out + "/bad.csv", atomically: true, encoding: .utf8)
        #expect(throws: CSVImport.Refusal.self) { try CSVImport(kind: .units).run(t.registry, path: out + "/bad.csv", operator: "import") }
        let triggers = { try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rental_count_%'") } }
        #expect(try triggers() == 4)

        _ = try CSVImport(kind: .units).run(t.registry, path: out + "/units1.csv", operator: "import")
        #expect(try triggers() == 4)
        let earliest = try t.registry.read { try String.fetchOne($0, sql: "SELECT min(discovered_on) FROM unit WHERE kind = 'rental'") }!
        let taken = try t.registry.read { try String.fetchAll($0, sql: "SELECT month FROM rental_count_month_taken ORDER BY month") }
        #expect(taken.first == PopulationMonths.start(of: CivilDate(earliest)!).description, "months from the earliest unit's, not today's only")
        #expect(taken.count > 12)
        #expect(try t.registry.check().isSound)
        _ = try CSVImport(kind: .units).run(t.registry, path: out + "/units2.csv", operator: "import")
        #expect(try triggers() == 4)
        let after = try t.registry.read { try String.fetchAll($0, sql: "SELECT month FROM rental_count_month_taken ORDER BY month") }
        #expect(after.last == taken.last && Set(taken).isSubset(of: after), "from the earliest unit of both halves through today's month")
        // Counted again at the end: the grids first seen in the second half (the file is in
        // grid order) have their months too, which the triggers alone never add.
        let withoutMonths = try t.registry.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(DISTINCT d.area) FROM rental_count_day d JOIN area g ON g.code = d.area AND g.level = 'grid'
                WHERE d.day < (SELECT max(month) FROM rental_count_month_taken)
                  AND NOT EXISTS (SELECT 1 FROM rental_count_month m WHERE m.grid = d.area AND m.month = (SELECT max(month) FROM rental_count_month_taken))
                """)
        }
        #expect(withoutMonths == 0)
        let report = try t.registry.check()
        #expect(report.rentalCountMismatches == 0)
        #expect(report.isSound)
        #expect(try t.registry.read { try Int.fetchOne($0, sql: "SELECT sum(known) FROM rental_count_day WHERE area = '411525'") }
                == t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM unit WHERE kind = 'rental' AND closed_on IS NULL") })
    }

    @Test("a unit's dates, kind or grid changed by hand, or a unit deleted, move its counts with it: the triggers keep what a recount gives")
    func handEditsKeepCounts() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("A", discovered: "2021-01-15", registered: "2021-03-01")
        try t.addUnit("B", discovered: "2022-06-30")
        try t.addUnit("C", grid: "411525001001001", discovered: "2020-02-29")
        try t.ok("unit.close", #"{"unitId":"C","date":"2023-01-01"}"#)
        _ = try t.registry.recountPopulation(operator: "test")
        for edit in ["UPDATE unit SET discovered_on = '2019-12-31' WHERE unit_id = 'A'",
                     "UPDATE unit SET registered_on = NULL WHERE unit_id = 'A'",
                     "UPDATE unit SET grid = '411525003001002' WHERE unit_id = 'B'",
                     "UPDATE unit SET closed_on = NULL WHERE unit_id = 'C'",
                     "UPDATE unit SET kind = 'owner' WHERE unit_id = 'B'",
                     "UPDATE unit SET kind = 'rental', registered_on = '2024-01-01' WHERE unit_id = 'B'",
                     "DELETE FROM unit WHERE unit_id = 'C'"] {
            try t.registry.pool.write { try $0.execute(sql: edit) }
            #expect(try t.registry.check().rentalCountMismatches == 0, "\(edit)")
        }
        let known = try t.registry.read { db in try Int.fetchOne(db, sql: "SELECT sum(known) FROM rental_count_day WHERE area = '411525'") }
        #expect(known == 2)
    }
}
