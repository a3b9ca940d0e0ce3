import Foundation
import GRDB
import Testing
@testable import RegistryCore

@Suite("The first load's directory of units")
struct UnitDirectoryTests {
    func registry(units: Int) throws -> TestRegistry {
        let t = try TestRegistry()
        try t.addAreas()
        for i in 0..<units { try t.addUnit("U\(i)") }
        return t
    }

    @Test("every unit's code finds its row id; codes of no unit find none")
    func findsEveryUnit() throws {
        let t = try registry(units: 300)
        let (directory, ids) = try t.registry.read { db in
            (try UnitDirectory(db), try Row.fetchAll(db, sql: "SELECT unit_id, id FROM unit").map { ($0[0] as String, $0[1] as Int64) })
        }
        let found = try #require(directory)
        #expect(ids.count == 300)
        for (code, id) in ids { #expect(found.rowID(of: code) == id, "\(code)") }
        for i in 300..<1300 { #expect(found.rowID(of: "U\(i)") == nil) }
    }

    @Test("two codes with one hash: the directory answers for neither")
    func ambiguousHash() {
        var directory = UnitDirectory(capacity: 10)
        directory.insert(hash: 42, row: 1)
        directory.insert(hash: 43, row: 2)
        #expect(directory.rowID(hash: 42) == 1)
        directory.insert(hash: 42, row: 3)
        #expect(directory.rowID(hash: 42) == nil)
        #expect(directory.rowID(hash: 43) == 2)
    }

    @Test("a directory that names the wrong row (a hash shared with a unit it never saw) still finds the right unit")
    func wrongRowIsCaught() throws {
        let t = try registry(units: 2)
        try t.registry.read { db in
            let (a, b) = (try UnitRecord.find(db, unitId: "U0")!, try UnitRecord.find(db, unitId: "U1")!)
            // A directory in which U1's code leads to U0's row.
            var directory = UnitDirectory(capacity: 2)
            var code = "U1"
            directory.insert(hash: code.withUTF8 { UnitDirectory.hash($0) }, row: UInt32(a.id))
            var units = BulkResidentLoad.UnitsSeen(directory: directory)
            #expect(try units.find("U1", in: db).id == b.id)
        }
    }

    @Test("a unit whose row id does not fit 32 bits: no directory, and a first load still finds every unit")
    func largeRowIds() throws {
        let t = try registry(units: 2)
        try t.registry.pool.write { try $0.execute(sql: "UPDATE unit SET id = 1099511627776 WHERE unit_id = 'U1'") }
        #expect(try t.registry.read { try UnitDirectory($0) } == nil)
        let file = t.folder + "/residents.csv"
        try Data(("id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\r\n"
                  + "\(makeID(sequence: 1)),甲,,,U0,2025-01-01,\r\n"
                  + "\(makeID(sequence: 2)),乙,,,U1,2025-01-02,\r\n").utf8).write(to: URL(fileURLWithPath: file))
        let summary = try CSVImport(kind: .residents).run(t.registry, path: file, operator: "test")
        #expect(summary.bulk && summary.rollbackJournal)
        let units = try t.registry.read { try String.fetchAll($0, sql: "SELECT u.unit_id FROM residence r JOIN unit u ON u.id = r.unit ORDER BY r.id") }
        #expect(units == ["U0", "U1"])
        #expect(try t.registry.check().isSound)
    }

    @Test("unit codes chosen to share a slot under the published hash spread out in this process's directory")
    func chosenCodesSpread() {
        // The attack: codes picked offline so that FNV-1a from its published start, mixed as
        // `hash(_:)` mixes, puts all of them in slot 0 of a 1,024-slot directory. Without the
        // per-process start each look-up among them would probe a run of 64 slots.
        func published(_ code: String) -> UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in code.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
            hash ^= hash >> 29
            hash = hash &* 0xbf58_476d_1ce4_e5b9
            hash ^= hash >> 32
            return hash
        }
        var chosen: [String] = []
        var i = 0
        while chosen.count < 64 {
            let code = "411525001001001-\(i)"
            if published(code) & 1023 == 0 { chosen.append(code) }
            i += 1
        }
        let slots = Set(chosen.map { code -> UInt64 in
            var code = code
            return code.withUTF8 { UnitDirectory.hash($0) } & 1023
        })
        #expect(slots.count > 32)
    }
}
