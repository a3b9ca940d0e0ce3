import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
            #expect(refusal.badRows.map(\.reason) == ["invalid_params", "invalid_date", "duplicate_unit", "invalid_id_number"])
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
            #expect(error.reason == "invalid_header")
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
        let person = try t.ok("resident.get", #"{"idNumber":"\#(a)"}"#)
        #expect(person["residences"]!.arrayValue!.map { $0["movedOut"]! } == [.string("2025-03-01"), .null])
        #expect(person["phone"] == .string("13800000000"))
        let again = t.folder + "/again.csv"
        try write("id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\n\(a),甲,,,U2,2025-03-01,\n", to: again)
        do {
            _ = try CSVImport(kind: .residents).run(t.registry, path: again, operator: "x")
            Issue.record("imported a duplicate residence")
        } catch let refusal as CSVImport.Refusal {
            #expect(refusal.badRows.first?.reason == "duplicate_residence")
            #expect(refusal.badRows.first?.line == 2)
        }
    }
}
