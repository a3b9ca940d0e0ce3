import Foundation
import GRDB
import Testing
@testable import RegistryCore

/// A later import into a county that already holds people — the police liaison's weekly
/// file — keeps what a first load sets aside while that is cheaper: the secondary indexes
/// (``DeferredIndexes``) and the months' counts (``PopulationMonths/Batch``).
@Suite struct LaterImportTests {
    /// A generated county with its areas, units and residents imported (the first load).
    static func county(residents: Int = 600) throws -> (TestRegistry, rows: [[String]]) {
        let t = try TestRegistry()
        let out = t.folder + "/gen"
        _ = try CountyGenerator(residents: residents, seed: 7).write(to: out)
        for kind in [CSVImport.Kind.areas, .units, .residents] {
            _ = try CSVImport(kind: kind).run(t.registry, path: "\(out)/\(kind.rawValue).csv", operator: "import")
        }
        let rows = try String(contentsOfFile: out + "/residents.csv", encoding: .utf8)
            .split(separator: "\r\n", omittingEmptySubsequences: true).dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        return (t, rows)
    }

    static func indexes(_ db: Database) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
    }

    @Test("the indexes are set aside at once for a first load, after a third of the table's rows for a later one, and built again")
    func indexesSetAsideAtTheThreshold() throws {
        let empty = try TestRegistry()
        try empty.registry.performGroup(operator: "test") { group throws(RegistryError) in
            let indexes = try DeferredIndexes(.residents, in: group)
            #expect(indexes.threshold == 0)
            #expect(indexes.areSetAside)
            #expect(try storageErrors { try Self.indexes(group.db) }.isDisjoint(with: DeferredIndexes.names[.residents]!))
            try indexes.rebuild(in: group)
            #expect(try storageErrors { try Self.indexes(group.db) }.isSuperset(of: DeferredIndexes.names[.residents]!))
        }

        let (t, _) = try Self.county()
        let residences = try t.registry.read { try Int.fetchOne($0, sql: "SELECT max(id) FROM residence") } ?? 0
        #expect(residences > 600)
        try t.registry.performGroup(operator: "test") { group throws(RegistryError) in
            var indexes = try DeferredIndexes(.residents, in: group)
            #expect(indexes.threshold == residences / 3)
            try indexes.written(indexes.threshold - 1, in: group)
            #expect(!indexes.areSetAside)
            #expect(try storageErrors { try Self.indexes(group.db) }.isSuperset(of: DeferredIndexes.names[.residents]!))
            try indexes.written(indexes.threshold, in: group)
            #expect(indexes.areSetAside)
            #expect(try storageErrors { try Self.indexes(group.db) }.isDisjoint(with: DeferredIndexes.names[.residents]!))
            try indexes.rebuild(in: group)
            #expect(try storageErrors { try Self.indexes(group.db) }.isSuperset(of: DeferredIndexes.names[.residents]!))
        }
        // Units are measured against the units.
        let units = try t.registry.read { try Int.fetchOne($0, sql: "SELECT max(id) FROM unit") } ?? 0
        try t.registry.performGroup(operator: "test") { group throws(RegistryError) in
            #expect(try DeferredIndexes(.units, in: group).threshold == units / 3)
        }
    }

    @Test("adding a residence to the months costs six plus the months taken since it moved in; nothing after the latest")
    func monthsCost() {
        let latest = CivilDate("2026-12-01")!
        #expect(PopulationMonths.Batch.cost(movedIn: CivilDate("2026-12-02")!, latest: latest) == 0)
        #expect(PopulationMonths.Batch.cost(movedIn: CivilDate("2026-11-23")!, latest: nil) == 0)
        #expect(PopulationMonths.Batch.cost(movedIn: CivilDate("2026-12-01")!, latest: latest) == 7)
        #expect(PopulationMonths.Batch.cost(movedIn: CivilDate("2026-11-23")!, latest: latest) == 7)
        #expect(PopulationMonths.Batch.cost(movedIn: CivilDate("2026-11-01")!, latest: latest) == 8)
        #expect(PopulationMonths.Batch.cost(movedIn: CivilDate("2016-12-15")!, latest: latest) == 6 + 120)
    }

    /// A residents file of `people` new people moving in on `day`, and `movers` people of
    /// `rows` living there now moving to another unit of the county on the same day.
    static func file(_ t: TestRegistry, rows: [[String]], people: Int, movers: Int, on day: CivilDate, name: String) throws -> String {
        let units = try t.registry.read { try String.fetchAll($0, sql: "SELECT unit_id FROM unit WHERE closed_on IS NULL ORDER BY id") }
        var lines = ["id_number,name,phone,hukou_code,unit_id,moved_in,moved_out"]
        for i in 0..<people {
            lines.append("\(makeID(prefix: i % 2 == 0 ? "341522" : "411525", birth: "19\(50 + i % 50)0\(1 + i % 9)15", sequence: 700 + i)),新人\(i),,,\(units[(i * 7) % units.count]),\(day),")
        }
        var moved = Set<String>()
        for row in rows where row[6].isEmpty && row[5] < day.description && moved.count < movers && moved.insert(row[0]).inserted {
            lines.append("\(row[0]),\(row[1]),\(row[2]),\(row[3]),\(units[(moved.count * 13) % units.count]),\(day),")
        }
        #expect(moved.count == movers)
        let path = t.folder + "/\(name).csv"
        try Data((lines.joined(separator: "\r\n") + "\r\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a week's file (new people and moves, dated last month) and a file of people who moved in years ago leave every count, month and index as a recount and a first load would",
          arguments: [(people: 40, movers: 12, yearsAgo: 0), (people: 200, movers: 0, yearsAgo: 12)])
    func laterImportKeepsCounts(people: Int, movers: Int, yearsAgo: Int) throws {
        let (t, rows) = try Self.county()
        let day = CivilDate.today().adding(days: -10).adding(years: -yearsAgo)
        let months = try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM population_month") } ?? 0
        #expect(months > 1000)
        let path = try Self.file(t, rows: rows, people: people, movers: movers, on: day, name: "later")
        let before = try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM residence") } ?? 0
        let summary = try CSVImport(kind: .residents).run(t.registry, path: path, operator: "import")
        #expect(summary.bulk)
        #expect(summary.rows == people + movers)
        #expect(try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM residence") } == before + people + movers)
        // Years back, 200 residences cost 6 + some 144 months each: past the budget of
        // 20,000, the months are built again at the end; last month's cost 7 each and are added.
        if yearsAgo > 0 {
            #expect(PopulationMonths.Batch.cost(movedIn: day, latest: PopulationMonths.start(of: .today())) * people > 20_000)
        } else {
            #expect(PopulationMonths.Batch.cost(movedIn: day, latest: PopulationMonths.start(of: .today())) * people < 20_000)
        }
        let report = try t.registry.check()
        #expect(report.isSound, "\(report)")
        #expect(try t.registry.read { try Self.indexes($0) }.isSuperset(of: DeferredIndexes.names[.residents]!))
        // The movers live in their new unit only.
        let open = try t.registry.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM residence WHERE moved_out IS NULL AND moved_in = ?", arguments: [day.description])
        }
        #expect(open == people + movers)
    }
}
