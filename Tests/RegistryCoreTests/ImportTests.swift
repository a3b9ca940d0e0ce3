import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import Testing
@testable import RegistryCore

@Suite("CSV import and the generator")
struct ImportTests {
    func write(_ text: String, to path: String, bom: Bool = false) throws {
        var data = Data(bom ? [0xEF, 0xBB, 0xBF] : [])
        data.append(Data(text.utf8))
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test("generate → import → export: every person and residence arrives, with the events their methods write")
    func roundTrip() throws {
        let t = try TestRegistry()
        let out = t.folder + "/gen"
        let summary = try CountyGenerator(residents: 600, seed: 7).write(to: out)
        #expect(summary.people == 600)
        var rows: [CSVImport.Kind: Int] = [:]
        for kind in CSVImport.Kind.allCases {
            rows[kind] = try CSVImport(kind: kind).run(t.registry, path: "\(out)/\(kind.rawValue).csv", operator: "import").rows
        }
        #expect(rows[.areas] == summary.areas)
        #expect(rows[.units] == summary.units)
        #expect(rows[.residents] == summary.residenceRows)
        let counts = try t.registry.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM resident")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM residence")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_event WHERE type = 'move_in'")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_event WHERE type = 'unit_added'")!)
        }
        #expect(counts.0 == 600)
        #expect(counts.1 == summary.residenceRows)
        #expect(counts.2 == summary.residenceRows)
        #expect(counts.3 == summary.units)
        let file = t.folder + "/ledger.csv"
        let exported = try Export(format: .csv, reveal: false, purpose: nil)
            .ledger(t.registry, area: nil, from: nil, to: nil, after: nil, to: OutputSink.file(file), operator: "x")
        let total = try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ledger_event")! }
        #expect(exported.count == total)
        // Every exported record reads back as one CSV record with the header's 16 cells.
        var reader = try CSVRecordReader(path: file)
        defer { reader.close() }
        var records = 0
        while let record = try reader.next() {
            #expect(record.fields.count == 16)
            records += 1
        }
        #expect(records == total + 1)
    }

    /// Every row the import writes, as text: the sealed columns by their blind index and
    /// opened values (their ciphertexts differ by their random nonces), events without
    /// their time of recording and hash.
    func content(_ registry: Registry) throws -> String {
        try registry.read { db in
            var out = ""
            for sql in [
                "SELECT id, hex(id_index), registry_open('resident.id_number', id_index, id_cipher), name, sex, birth_date, hukou_code, registry_open('resident.phone', id_index, phone_cipher) FROM resident ORDER BY id",
                "SELECT * FROM residence ORDER BY id",
                "SELECT seq, type, date, resident, name, sex, birth_date, hukou_code, migrant, unit_id, address, grid, community, subdistrict, operator FROM ledger_event ORDER BY seq",
            ] {
                for row in try Row.fetchAll(db, sql: sql) { out += "\(row)\n" }
            }
            return out
        }
    }

    /// A second connection to `path` that has read from it, so holds it open (as the web
    /// service would): the registry cannot leave WAL mode while it lives.
    func holdOpen(_ path: String) throws -> DatabaseQueue {
        let other = try DatabaseQueue(path: path)
        _ = try other.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM area") }
        return other
    }

    @Test("a county's first units import goes through the rollback journal and ends in WAL mode; a later one, or one with the database held open elsewhere, stays in the WAL; both write the same units and events",
          arguments: [false, true])
    func firstUnitsLoadJournal(heldOpen: Bool) throws {
        let t = try TestRegistry()
        let (out, lines) = try t.generatedUnitsInHalves()
        let other = heldOpen ? try holdOpen(t.registry.path) : nil
        let first = try CSVImport(kind: .units).run(t.registry, path: out + "/units1.csv", operator: "import")
        #expect(first.rollbackJournal == !heldOpen)
        #expect(try t.registry.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        let second = try CSVImport(kind: .units).run(t.registry, path: out + "/units2.csv", operator: "import")
        #expect(!second.rollbackJournal)
        try other?.close()
        #expect(try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM unit") } == lines.count - 1)
        #expect(try t.registry.check().isSound)

        // The same two files loaded through the WAL (the database held open) write the
        // same units and the same events.
        let wal = try Registry.initialize(path: t.folder + "/wal.sqlite", settings: t.registry.settings, keyFile: t.registry.keyFile)
        _ = try CSVImport(kind: .areas).run(wal, path: out + "/areas.csv", operator: "import")
        let held = try holdOpen(wal.path)
        for part in ["units1", "units2"] {
            #expect(try !CSVImport(kind: .units).run(wal, path: "\(out)/\(part).csv", operator: "import").rollbackJournal)
        }
        try held.close()
        func units(_ registry: Registry) throws -> [String] {
            try registry.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT unit_id, grid, address, kind, discovered_on, registered_on, landlord_name FROM unit ORDER BY unit_id
                    """).map { "\($0)" }
                + Row.fetchAll(db, sql: "SELECT seq, type, date, unit_id FROM ledger_event ORDER BY seq").map { "\($0)" }
            }
        }
        #expect(try units(t.registry) == units(wal))
    }

    @Test("the bulk path of a residents import writes exactly what the row-by-row path writes, people already registered included; through the rollback journal or, with the database held open elsewhere, the WAL",
          arguments: [false, true])
    func bulkMatchesRowByRow(heldOpen: Bool) throws {
        let bulk = try TestRegistry()
        let rowByRow = try Registry.initialize(path: bulk.folder + "/other.sqlite", settings: bulk.registry.settings,
                                               keyFile: bulk.registry.keyFile)
        let out = bulk.folder + "/gen"
        _ = try CountyGenerator(residents: 800, seed: 11).write(to: out)
        // The residents file in two parts: the second holds later residences of people the
        // first registered, and people new to both.
        let lines = try String(contentsOfFile: out + "/residents.csv", encoding: .utf8).split(separator: "\r\n", omittingEmptySubsequences: true)
        let cut = lines.count / 2
        try write(([lines[0]] + lines[1..<cut]).joined(separator: "\r\n") + "\r\n", to: out + "/part1.csv")
        try write(([lines[0]] + lines[cut...]).joined(separator: "\r\n") + "\r\n", to: out + "/part2.csv")
        for (registry, allowsBulk) in [(bulk.registry, true), (rowByRow, false)] {
            for kind in [CSVImport.Kind.areas, .units] {
                _ = try CSVImport(kind: kind).run(registry, path: "\(out)/\(kind.rawValue).csv", operator: "import")
            }
            let other = heldOpen && allowsBulk ? try holdOpen(registry.path) : nil
            for part in ["part1", "part2"] {
                var importer = CSVImport(kind: .residents)
                importer.allowsBulkLoad = allowsBulk
                let summary = try importer.run(registry, path: "\(out)/\(part).csv", operator: "import")
                #expect(summary.bulk == allowsBulk)
                // Only a first load, and only with the database to itself.
                #expect(summary.rollbackJournal == (allowsBulk && !heldOpen && part == "part1"))
            }
            try other?.close()
            #expect(try registry.check().isSound)
            #expect(try registry.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        }
        let (a, b) = (try content(bulk.registry), try content(rowByRow))
        #expect(a.count > 10_000)
        #expect(a == b)
        // The first part, into a registry where nobody lived yet, was counted once at its
        // end with the population triggers set aside; they are back, and the counts agree.
        func population(_ registry: Registry) throws -> [String] {
            try registry.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM population WHERE people > 0 ORDER BY 1, 2, 3").map { "\($0)" }
            }
        }
        #expect(try population(bulk.registry).count > 100)
        #expect(try population(bulk.registry) == population(rowByRow))
        let triggers = try bulk.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'population%'") }
        #expect(triggers == 11)   // (a new residence is counted by the registry, not by a trigger: schema 10)
        // And the months: built once after the first part, kept through the second; the
        // registry filled row by row has them only when recounted.
        #expect(try rowByRow.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM population_month") } == 0)
        _ = try rowByRow.recountPopulation(operator: "test")
        func months(_ registry: Registry) throws -> [String] {
            try registry.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM population_month WHERE people > 0 ORDER BY 1, 2, 3, 4").map { "\($0)" }
            }
        }
        #expect(try months(bulk.registry).count > 1000)
        #expect(try months(bulk.registry) == months(rowByRow))
        // Some people of the second part were registered by the first: the second import
        // moved them (a transfer closes the open residence), as row by row does.
        let transfers = try bulk.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM resident WHERE id IN (SELECT resident FROM residence GROUP BY resident HAVING count(*) > 1)") }
        #expect((transfers ?? 0) > 0)
    }

    @Test("a residents file the bulk path cannot take is refused exactly as row by row refuses it, and changes nothing",
          arguments: [false, true])
    func bulkFallsBackOnBadRows(heldOpen: Bool) throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let holder = heldOpen ? try holdOpen(t.path) : nil
        defer { try? holder?.close() }
        let before = try t.snapshot()
        let file = t.folder + "/bad.csv"
        let good = makeID(sequence: 1), other = makeID(sequence: 2)
        try write("id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\n\(good),甲,,,U1,2025-02-01,\n\(other),乙,,,NOPE,2025-02-01,\n\(good),甲,,,U1,2025-01-01,\n", to: file)
        do {
            _ = try CSVImport(kind: .residents).run(t.registry, path: file, operator: "x")
            Issue.record("imported a bad file")
        } catch let refusal as CSVImport.Refusal {
            #expect(refusal.badRows.map(\.line) == [3, 4])
            #expect(refusal.badRows.map(\.reason.rawValue) == ["unknown_unit", "invalid_date"])
        }
        #expect(try t.snapshot() == before)
    }

    @Test("the same seed gives the same bytes; another seed other bytes")
    func deterministic() throws {
        let folder = NSTemporaryDirectory() + "gen-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try CountyGenerator(residents: 300, seed: 42).write(to: folder + "/a")
        _ = try CountyGenerator(residents: 300, seed: 42).write(to: folder + "/b")
        _ = try CountyGenerator(residents: 300, seed: 43).write(to: folder + "/c")
        for name in ["areas.csv", "units.csv", "residents.csv"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/a/\(name)"))
            #expect(a == (try Data(contentsOf: URL(fileURLWithPath: "\(folder)/b/\(name)"))))
            if name != "areas.csv" { #expect(a != (try Data(contentsOf: URL(fileURLWithPath: "\(folder)/c/\(name)")))) }
        }
    }

    @Test("the shipped seed/ files are exactly the generator's demo output")
    func seedMatchesGenerator() throws {
        let folder = NSTemporaryDirectory() + "seed-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try DemoSeed.generator.write(to: folder)
        for name in ["areas.csv", "units.csv", "residents.csv"] {
            let shipped = try Data(contentsOf: SchemaTests.root.appendingPathComponent("seed/" + name))
            #expect(shipped == (try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))), "seed/\(name)")
        }
    }

    @Test("residents rows: unique ID numbers, valid, in move-in order")
    func generatedResidents() throws {
        let folder = NSTemporaryDirectory() + "gen-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try CountyGenerator(residents: 2000, seed: 5).write(to: folder)
        var reader = try CSVRecordReader(path: folder + "/residents.csv")
        defer { reader.close() }
        _ = try reader.next()
        var people = Set<String>()
        var last = ""
        var misordered = 0
        while let record = try reader.next() {
            _ = try IDNumber(record.fields[0])
            people.insert(record.fields[0])
            if record.fields[5] < last { misordered += 1 }
            last = record.fields[5]
        }
        #expect(people.count == 2000)
        #expect(misordered == 0)
    }

    @Test("a BOM, quoted commas and line breaks are read; one bad row refuses the file and lists every bad row")
    func allOrNothing() throws {
        let t = try TestRegistry()
        try t.addAreas()
        let good = t.folder + "/units.csv"
        try write("unit_id,grid,address,kind,landlord_name,landlord_id_number,landlord_phone,discovered_on,registered_on\r\n"
                  + "A1,411525003001001,\"秀水路1号,\"\"东\"\"楼\n2单元\",rental,李四,11010519491231002X,13800000000,2025-01-01,2025-02-01\r\n"
                  + "A2,411525003001001,秀水路2号,owner,,,,2025-01-01,\r\n", to: good, bom: true)
        #expect(try CSVImport(kind: .units).run(t.registry, path: good, operator: "x").rows == 2)
        #expect(try t.ok("unit.get", #"{"unitId":"A1"}"#)["address"] == .string("秀水路1号,\"东\"楼\n2单元"))
        #expect(try t.ok("ledger.events")["events"]!.arrayValue!.map { $0["type"]!.stringValue! } == ["unit_added", "unit_registered", "unit_added"])
        let before = try t.snapshot()
        let bad = t.folder + "/bad.csv"
        try write("unit_id,grid,address,kind,landlord_name,landlord_id_number,landlord_phone,discovered_on,registered_on\n"
                  + "B1,411525003001001,ok,rental,,,,2025-01-01,\n"
                  + "B2,411525003001001,ok,hotel,,,,2025-01-01,\n"
                  + "B3,411525003001001,ok,rental,,,,2025-02-30,\n"
                  + "A1,411525003001001,dup,rental,,,,2025-01-01,\n"
                  + "B5,411525003001001,ok,rental,王五,110105194912310021,,2025-01-01,\n", to: bad)
        do {
            _ = try CSVImport(kind: .units).run(t.registry, path: bad, operator: "x")
            Issue.record("imported a file with bad rows")
        } catch let refusal as CSVImport.Refusal {
            #expect(refusal.badRowCount == 4)
            #expect(refusal.badRows.map(\.line) == [3, 4, 5, 6])
            #expect(refusal.badRows.map { $0.column ?? "" } == ["kind", "discovered_on", "unit_id", "landlord_id_number"])
            #expect(refusal.badRows.map(\.reason.rawValue) == ["invalid_params", "invalid_date", "duplicate_unit", "invalid_id_number"])
        }
        #expect(try t.snapshot() == before)
    }

    @Test("a wrong header is refused naming the columns")
    func header() throws {
        let t = try TestRegistry()
        let path = t.folder + "/areas.csv"
        try write("code,name,level\n411525003,秀水街道,subdistrict\n", to: path)
        do {
            _ = try CSVImport(kind: .areas).run(t.registry, path: path, operator: "x")
            Issue.record("accepted a header without parent")
        } catch let error as RegistryError {
            #expect(error.reason.rawValue == "invalid_header")
            #expect(error.message.contains("parent"))
        }
    }

    @Test("GB18030 files are detected and read, or taken with --encoding")
    func gb18030() throws {
        let t = try TestRegistry()
        let text = "code,name,level,parent\r\n411525003,秀水街道,subdistrict,411525\r\n411525003001,日出东方社区,community,411525003\r\n"
        let bytes = try #require(Self.gb18030(text))
        #expect(bytes.count < text.utf8.count)
        let path = t.folder + "/areas-gbk.csv"
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try CSVImport(kind: .areas).run(t.registry, path: path, operator: "x").rows == 2)
        #expect(try t.ok("area.list", #"{"parent":"411525003"}"#)["areas"]!.arrayValue![0]["name"] == .string("日出东方社区"))
    }

    /// `text` in GB18030, through the C library's iconv.
    static func gb18030(_ text: String) -> Data? {
        let converter = iconv_open("GB18030", "UTF-8")
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 2)
        var inLeft = input.count, outLeft = output.count
        let result = input.withUnsafeMutableBytes { inRaw in
            output.withUnsafeMutableBytes { outRaw in
                var inPointer: UnsafeMutablePointer<CChar>? = inRaw.baseAddress!.assumingMemoryBound(to: CChar.self)
                var outPointer: UnsafeMutablePointer<CChar>? = outRaw.baseAddress!.assumingMemoryBound(to: CChar.self)
                return iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
            }
        }
        return result == -1 ? nil : Data(output[..<(output.count - outLeft)])
    }

    @Test("residents: past residences move out, a duplicate residence is a bad row")
    func residents() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.addUnit("U2")
        let a = makeID(prefix: "341522", sequence: 1)
        let path = t.folder + "/residents.csv"
        try write("id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\n"
                  + "\(a),甲,,,U1,2025-01-01,2025-03-01\n"
                  + "\(a.lowercased()),甲,13800000000,,U2,2025-03-01,\n", to: path)
        #expect(try CSVImport(kind: .residents).run(t.registry, path: path, operator: "x").rows == 2)
        let person = try t.ok("resident.get", #"{"idNumber":"\#(a)","reveal":true,"purpose":"核对"}"#)
        #expect(person["residences"]!.arrayValue!.map { $0["movedOut"]! } == [.string("2025-03-01"), .null])
        #expect(person["phone"] == .string("13800000000"))
        let again = t.folder + "/again.csv"
        try write("id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\n\(a),甲,,,U2,2025-03-01,\n", to: again)
        do {
            _ = try CSVImport(kind: .residents).run(t.registry, path: again, operator: "x")
            Issue.record("imported a duplicate residence")
        } catch let refusal as CSVImport.Refusal {
            #expect(refusal.badRows.first?.reason.rawValue == "duplicate_residence")
            #expect(refusal.badRows.first?.line == 2)
        }
    }
}

@Suite("The bulk import's memory of people seen")
struct SeenPeopleTests {
    @Test("a person seen is always known again; a new one is rarely mistaken for seen")
    func bloom() {
        var seen = SeenPeople(expected: 200_000)
        var falsePositives = 0
        for key in stride(from: UInt64(41152519900101000), to: 41152519900101000 + 200_000, by: 1) where seen.insert(key) {
            falsePositives += 1
        }
        #expect(falsePositives < 200_000 / 100)
        for key in stride(from: UInt64(41152519900101000), to: 41152519900101000 + 200_000, by: 997) {
            let known = seen.insert(key)
            #expect(known)
        }
    }
}
