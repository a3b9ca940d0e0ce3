import Foundation
import GRDB
import Testing
@testable import RegistryCore

@Suite("Worklists, timeliness, duplicates, the weekly diff")
struct WorklistTests {
    func units(_ t: TestRegistry, _ params: String) throws -> [String] {
        try t.ok("worklist.unregisteredUnits", params)["units"]!.arrayValue!.map { $0["unitId"]!.stringValue! }
    }

    @Test("unregistered rentals: the edge of olderThanDays, registered or closed on the day, oldest first, paged")
    func unregistered() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("EDGE", discovered: "2025-05-02")             // exactly 30 days before 2025-06-01
        try t.addUnit("YOUNG", discovered: "2025-05-03")            // 29 days
        try t.addUnit("OLD-B", discovered: "2025-01-01")
        try t.addUnit("OLD-A", discovered: "2025-01-01")
        try t.addUnit("REG-ON", discovered: "2025-01-01", registered: "2025-06-01")   // registered on the day: out
        try t.addUnit("REG-AFTER", discovered: "2025-01-01", registered: "2025-06-02") // not yet on the day: in
        try t.addUnit("OWNER", kind: "owner", discovered: "2025-01-01")
        try t.addUnit("CLOSED", discovered: "2025-01-01")
        try t.ok("unit.close", #"{"unitId":"CLOSED","date":"2025-06-01"}"#)
        try t.addUnit("LC", grid: "411525001001001", discovered: "2024-12-01")
        #expect(try units(t, #"{"asOf":"2025-06-01"}"#) == ["LC", "OLD-A", "OLD-B", "REG-AFTER", "EDGE"])
        let first = try t.ok("worklist.unregisteredUnits", #"{"asOf":"2025-06-01","area":"411525003","limit":2}"#)
        #expect(first["units"]!.arrayValue!.map { $0["unitId"]!.stringValue! } == ["OLD-A", "OLD-B"])
        #expect(first["units"]!.arrayValue![0]["days"] == .int(151))
        let next = try #require(first["next"]?.stringValue)
        #expect(try units(t, #"{"asOf":"2025-06-01","area":"411525003","limit":2,"after":"\#(next)"}"#) == ["REG-AFTER", "EDGE"])
        #expect(try units(t, #"{"asOf":"2025-06-01","olderThanDays":29,"area":"411525003001"}"#).contains("YOUNG"))
        // An account of Xiushui sees Xiushui's only.
        let clerk = Principal(username: "clerk", role: .clerk, areas: [AreaScope(code: "411525003", level: .subdistrict)])
        let scoped = try t.registry.perform(method: "worklist.unregisteredUnits", params: .object([("asOf", .string("2025-06-01"))]), as: clerk)
        #expect(!(scoped["units"]!.arrayValue!.contains { $0["unitId"] == .string("LC") }))
        #expect(t.refusal("worklist.unregisteredUnits", #"{"asOf":"2025-06-01","area":"999"}"#)?.reason.rawValue == "invalid_area_code" ||
                t.refusal("worklist.unregisteredUnits", #"{"asOf":"2025-06-01","area":"411525009"}"#)?.reason.rawValue == "unknown_area")
    }

    @Test("permit eligibility: a stay broken by one day, a same-day transfer, six months from 31 August, the day itself")
    func permits() throws {
        let t = try TestRegistry()
        try t.addAreas()
        for unit in ["U1", "U2", "U3"] { try t.addUnit(unit) }
        let broken = makeID(prefix: "341522", sequence: 1), transferred = makeID(prefix: "341522", sequence: 2)
        let august = makeID(prefix: "341522", sequence: 3), local = makeID(prefix: "411525", sequence: 4)
        let sameDay = makeID(prefix: "341522", sequence: 5)
        // Broken: out on 2024-06-30, in again on 2024-07-01 — a day between.
        try t.moveIn(broken, "U1", on: "2024-01-01")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(broken)","date":"2024-06-30"}"#)
        try t.moveIn(broken, "U2", on: "2024-07-01")
        // A transfer on the day: one stay since 2024-01-01.
        try t.moveIn(transferred, "U1", on: "2024-01-01")
        try t.moveIn(transferred, "U2", on: "2024-07-01", extra: #","transfer":true"#)
        // Out and in on the same day (not a transfer): one stay too.
        try t.moveIn(sameDay, "U1", on: "2024-01-01")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(sameDay)","date":"2024-07-01"}"#)
        try t.moveIn(sameDay, "U3", on: "2024-07-01")
        try t.moveIn(august, "U3", on: "2024-08-31")
        try t.moveIn(local, "U3", on: "2024-01-01")
        func eligible(_ asOf: String) throws -> [String: (since: String, on: String)] {
            var out: [String: (String, String)] = [:]
            for item in try t.ok("worklist.permitEligible", #"{"asOf":"\#(asOf)"}"#)["residents"]!.arrayValue! {
                out[item["idNumber"]!.stringValue!] = (item["since"]!.stringValue!, item["eligibleOn"]!.stringValue!)
            }
            return out
        }
        let onFeb28 = try eligible("2025-02-28")
        #expect(onFeb28[IDNumber.mask(august)]?.on == "2025-02-28", "six months from 31 August end on the last day of February")
        #expect(onFeb28[IDNumber.mask(broken)]?.since == "2024-07-01", "the broken stay began again on 2024-07-01")
        #expect(onFeb28[IDNumber.mask(transferred)]?.since == "2024-01-01")
        #expect(onFeb28[IDNumber.mask(sameDay)]?.since == "2024-01-01")
        #expect(onFeb28[IDNumber.mask(local)] == nil, "not a migrant")
        #expect(try eligible("2025-02-27")[IDNumber.mask(august)] == nil, "the day before")
        #expect(try eligible("2024-12-31")[IDNumber.mask(broken)] == nil)
        #expect(try eligible("2025-01-01")[IDNumber.mask(broken)]?.since == "2024-07-01")
        // Ordered by since, then ID number; paged.
        let all = try t.ok("worklist.permitEligible", #"{"asOf":"2025-03-01","limit":1}"#)
        #expect(all["residents"]!.arrayValue!.map { $0["idNumber"]!.stringValue! } == [IDNumber.mask(transferred)])
        let second = try t.ok("worklist.permitEligible", #"{"asOf":"2025-03-01","limit":2,"after":"\#(all["next"]!.stringValue!)"}"#)
        #expect(second["residents"]!.arrayValue!.map { $0["idNumber"]!.stringValue! } == [IDNumber.mask(sameDay), IDNumber.mask(broken)])
        // 29 February: six months from 2023-08-29 is 2024-02-29.
        #expect(CivilDate("2023-08-31")!.adding(months: 6).description == "2024-02-29")
    }

    @Test("duplicates: one changed digit, two swapped neighbours, same name and birth, full-width addresses; each pair once")
    func duplicates() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.ok("unit.add", #"{"unitId":"A1","grid":"411525003001001","address":"秀水路 8 号 301","kind":"rental","discoveredOn":"2025-01-01"}"#)
        try t.ok("unit.add", #"{"unitId":"A2","grid":"411525003001001","address":"秀水路８号３０１","kind":"rental","discoveredOn":"2025-01-01"}"#)
        try t.ok("unit.add", #"{"unitId":"A3","grid":"411525003001002","address":"秀水路8号301","kind":"rental","discoveredOn":"2025-01-01"}"#)
        let base = "34152219900101123"
        func valid(_ body: String) -> String { body + String(IDNumber.checkCharacter(for: body)) }
        let original = valid(base)
        let oneDigit = valid("34152219900101128")                   // the 17th digit changed (and sex with it)
        let swapped = valid("34152219900110123")                    // "01" → "10" in the birth date
        let twin = valid("34152219900101145")                       // same name, birth and sex, another number
        try t.moveIn(original, "U1", on: "2025-02-01", name: "张伟")
        try t.moveIn(oneDigit, "U1", on: "2025-02-01", name: "张伟")
        try t.moveIn(swapped, "U1", on: "2025-02-01", name: "张伟")
        try t.moveIn(twin, "U1", on: "2025-02-01", name: "张伟")
        try t.moveIn(valid("34152219900101155"), "U1", on: "2025-02-01", name: "李娜")   // another name: never compared
        let pairs = try t.ok("worklist.duplicates")["pairs"]!.arrayValue!
        func reasons(_ kind: String) -> [String] { pairs.filter { $0["kind"] == .string(kind) }.map { $0["reason"]!.stringValue! } }
        let people = pairs.filter { $0["kind"] == .string("resident") }
        let described = people.map { "\($0["a"]!["idNumber"]!.stringValue!)~\($0["b"]!["idNumber"]!.stringValue!):\($0["reason"]!.stringValue!)" }
        #expect(described.contains("\(IDNumber.mask(original))~\(IDNumber.mask(twin)):same_name_birth"), "\(described)")
        #expect(described.contains("\(IDNumber.mask(original))~\(IDNumber.mask(oneDigit)):near_number"), "\(described)")
        #expect(described.contains("\(IDNumber.mask(original))~\(IDNumber.mask(swapped)):near_number"), "\(described)")
        #expect(Set(described).count == described.count, "each pair once")
        #expect(reasons("unit") == ["same_address"])
        let unitPair = pairs.first { $0["kind"] == .string("unit") }!
        #expect(unitPair["a"]!["unitId"] == .string("A1") && unitPair["b"]!["unitId"] == .string("A2"))
        #expect(pairs.first?["kind"] == .string("resident"), "ordered by kind")
        #expect(people.allSatisfy { $0["a"]!["birthDate"]!.stringValue!.hasSuffix("-**-**") })
        #expect(Duplicates.nearNumbers("341522199001011234", "341522199001012134"), "neighbours swapped")
        #expect(!Duplicates.nearNumbers("341522199001011234", "341522199001013214"), "not neighbours")
        // Paging gives every pair exactly once.
        var seen: [JSONValue] = []
        var after: String?
        repeat {
            let page = try t.ok("worklist.duplicates", after.map { #"{"limit":1,"after":"\#($0)"}"# } ?? #"{"limit":1}"#)
            seen += page["pairs"]!.arrayValue!
            after = page["next"]?.stringValue
        } while after != nil
        #expect(seen == pairs)
    }

    @Test("timeliness: on the day limit, a day late, imports left out")
    func timeliness() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1", discovered: "2020-01-01")
        let today = CivilDate.today()
        try t.moveIn(makeID(sequence: 1), "U1", on: today.adding(days: -3).description)  // recorded today: on the limit
        try t.moveIn(makeID(sequence: 2), "U1", on: today.adding(days: -4).description)  // a day late
        let file = t.folder + "/residents.csv"
        try "id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\n\(makeID(sequence: 3)),王,,,U1,\(today.adding(days: -10)),\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        _ = try CSVImport(kind: .residents).run(t.registry, path: file, operator: "x")
        let params = #"{"level":"subdistrict","from":"\#(today.adding(days: -30))","to":"\#(today)"}"#
        let row = try t.ok("metrics.timeliness", params)["rows"]!.arrayValue!.first { $0["code"] == .string("411525003") }!
        #expect(row["moveIns"] == .int(2), "the imported move-in is left out")
        #expect(row["onTime"] == .int(1))
        #expect(row["rate"] == .double(0.5))
        let other = try t.ok("metrics.timeliness", params)["rows"]!.arrayValue!.first { $0["code"] == .string("411525001") }!
        #expect(other["moveIns"] == .int(0) && other["rate"] == .null)
        let wider = try t.ok("metrics.timeliness", #"{"level":"subdistrict","from":"\#(today.adding(days: -30))","to":"\#(today)","withinDays":4}"#)
        #expect(wider["rows"]!.arrayValue!.first { $0["code"] == .string("411525003") }!["onTime"] == .int(2))
        // Events are read in the ranges no import wrote: before the import's and after it.
        try t.moveIn(makeID(sequence: 4), "U1", on: today.adding(days: -1).description)
        let after = try t.ok("metrics.timeliness", params)["rows"]!.arrayValue!.first { $0["code"] == .string("411525003") }!
        #expect(after["moveIns"] == .int(3) && after["onTime"] == .int(2))
        #expect(try t.registry.read { try ImportRun.gaps($0) }.count == 2)
    }

    @Test("the weekly diff: a transfer, out and back, someone who came and went between the two days")
    func diff() throws {
        let t = try TestRegistry()
        try t.addAreas()
        for unit in ["U1", "U2"] { try t.addUnit(unit) }
        try t.addUnit("LC", grid: "411525001001001")
        let mover = makeID(prefix: "341522", sequence: 1), leaver = makeID(prefix: "341522", sequence: 2)
        let back = makeID(prefix: "341522", sequence: 3), passing = makeID(prefix: "341522", sequence: 4)
        let newcomer = makeID(prefix: "341522", sequence: 5), local = makeID(prefix: "411525", sequence: 6)
        try t.moveIn(mover, "U1", on: "2025-01-01")
        try t.moveIn(leaver, "U1", on: "2025-01-01")
        try t.moveIn(back, "U1", on: "2025-01-01")
        try t.moveIn(local, "U1", on: "2025-01-01")
        try t.moveIn(mover, "U2", on: "2025-03-05", extra: #","transfer":true"#)
        try t.moveIn(leaver, "LC", on: "2025-03-03", extra: #","transfer":true"#)
        try t.ok("resident.moveOut", #"{"idNumber":"\#(back)","date":"2025-03-02"}"#)
        try t.moveIn(back, "U1", on: "2025-03-06")
        try t.moveIn(passing, "U2", on: "2025-03-02")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(passing)","date":"2025-03-04"}"#)
        try t.moveIn(newcomer, "U2", on: "2025-03-06")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(local)","date":"2025-03-06"}"#)
        let diff = try t.ok("ledger.diff", #"{"from":"2025-03-01","to":"2025-03-08","area":"411525003"}"#)
        #expect(diff["arrived"]!.arrayValue!.map { $0["idNumber"]!.stringValue! } == [IDNumber.mask(newcomer)])
        #expect(diff["left"]!.arrayValue!.map { $0["idNumber"]!.stringValue! } == [IDNumber.mask(leaver)])
        #expect(diff["left"]!.arrayValue![0]["movedOut"] == .string("2025-03-03"))
        let moved = diff["moved"]!.arrayValue!
        #expect(moved.map { $0["idNumber"]!.stringValue! } == [IDNumber.mask(mover)])
        #expect(moved[0]["fromUnitId"] == .string("U1") && moved[0]["toUnitId"] == .string("U2") && moved[0]["date"] == .string("2025-03-05"))
        // Everyone: the local resident who left too.
        let everyone = try t.ok("ledger.diff", #"{"from":"2025-03-01","to":"2025-03-08","area":"411525003","migrantOnly":false}"#)
        #expect(Set(everyone["left"]!.arrayValue!.map { $0["idNumber"]!.stringValue! }) == [IDNumber.mask(leaver), IDNumber.mask(local)])
        // A reveal needs a purpose and is audited as an export of all three lists.
        #expect(t.refusal("ledger.diff", #"{"from":"2025-03-01","to":"2025-03-08","reveal":true}"#)?.reason == .purposeRequired)
        let revealed = try t.ok("ledger.diff", #"{"from":"2025-03-01","to":"2025-03-08","area":"411525003","reveal":true,"purpose":"周报核对"}"#)
        #expect(revealed["arrived"]!.arrayValue![0]["idNumber"] == .string(newcomer))
        let audit = try t.ok("audit.list")["entries"]!.arrayValue!
        #expect(audit.last?["action"] == .string("export") && audit.last?["count"] == .int(3))
    }

    @Test("randomized: the worklists and the diff equal a plain recomputation from the ledger's events")
    func randomized() throws {
        var rng = SplitMix64(seed: 20251130)
        let t = try TestRegistry()
        try t.addAreas()
        let grids = ["411525003001001", "411525003001002", "411525001001001"]
        var unitIds: [String] = []
        for n in 0..<30 {
            let discovered = CivilDate("2024-01-01")!.adding(days: Int(rng.next() % 400))
            let registered: String? = rng.next() % 3 == 0 ? discovered.adding(days: Int(rng.next() % 200)).description : nil
            unitIds.append(try t.addUnit("R\(n)", grid: grids[Int(rng.next() % 3)], discovered: discovered.description, registered: registered))
        }
        var day = CivilDate("2025-03-01")!
        var people: [String] = []
        for n in 0..<60 {
            people.append(makeID(prefix: n % 4 == 0 ? "411525" : "341522", sequence: n + 1))
        }
        for _ in 0..<200 {
            day = day.adding(days: Int(rng.next() % 3))
            let person = people[Int(rng.next() % UInt64(people.count))]
            let unit = unitIds[Int(rng.next() % UInt64(unitIds.count))]
            if rng.next() % 4 == 0 {
                _ = t.call("resident.moveOut", #"{"idNumber":"\#(person)","date":"\#(day)"}"#)
            } else {
                _ = t.call("resident.register", #"{"idNumber":"\#(person)","name":"人","unitId":"\#(unit)","movedIn":"\#(day)","transfer":true}"#)
            }
        }
        // Residences rebuilt from the ledger's events alone.
        struct Stay { var resident: Int64, unit: String, grid: String, movedIn: String, movedOut: String? }
        let events = try t.registry.read { db in
            try Row.fetchAll(db, sql: "SELECT type, resident, unit_id, grid, date FROM ledger_event WHERE type IN ('move_in', 'move_out') ORDER BY seq")
        }
        var stays: [Stay] = []
        var open: [Int64: Int] = [:]
        for event in events {
            let resident: Int64 = event[1]
            if event[0] as String == "move_in" {
                open[resident] = stays.count
                stays.append(Stay(resident: resident, unit: event[2], grid: event[3], movedIn: event[4], movedOut: nil))
            } else if let index = open.removeValue(forKey: resident) {
                stays[index].movedOut = event[4]
            }
        }
        let migrantOf = try t.registry.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, substr(hukou_code, 1, 6) <> '411525' FROM resident").map { ($0[0] as Int64, $0[1] as Bool) })
        }
        var nonEmpty = (diff: 0, permits: 0, units: 0)
        for asOf in ["2025-04-01", "2025-06-15", "2025-09-30"] {
            // The diff against the stays.
            func living(_ date: String) -> [Int64: String] {
                var out: [Int64: String] = [:]
                for stay in stays where stay.movedIn <= date && (stay.movedOut.map { $0 > date } ?? true)
                    && stay.grid.hasPrefix("411525003") && migrantOf[stay.resident] == true { out[stay.resident] = stay.unit }
                return out
            }
            let (a, b) = (living("2025-03-15"), living(asOf))
            let diff = try t.ok("ledger.diff", #"{"from":"2025-03-15","to":"\#(asOf)","area":"411525003"}"#)
            #expect(diff["arrived"]!.arrayValue!.count == b.keys.filter { a[$0] == nil }.count)
            #expect(diff["left"]!.arrayValue!.count == a.keys.filter { b[$0] == nil }.count)
            #expect(diff["moved"]!.arrayValue!.count == b.keys.filter { a[$0] != nil && a[$0] != b[$0] }.count)
            nonEmpty.diff += diff["arrived"]!.arrayValue!.count + diff["left"]!.arrayValue!.count + diff["moved"]!.arrayValue!.count
            // Permit eligibility: walk each living stay back through stays ending on its start.
            var expected = 0
            for stay in stays where stay.movedIn <= asOf && (stay.movedOut.map { $0 > asOf } ?? true) && migrantOf[stay.resident] == true {
                var since = stay.movedIn
                while let previous = stays.first(where: { $0.resident == stay.resident && $0.movedOut == since && $0.movedIn <= since && $0.movedIn < since }) {
                    since = previous.movedIn
                }
                if CivilDate(since)!.adding(months: 6) <= CivilDate(asOf)! { expected += 1 }
            }
            let permits = try t.ok("worklist.permitEligible", #"{"asOf":"\#(asOf)","limit":1000}"#)["residents"]!.arrayValue!
            #expect(permits.count == expected, "on \(asOf)")
            // A grid is read whole, the county walked in order: the same people, in the same order.
            let grid = try t.ok("worklist.permitEligible", #"{"asOf":"\#(asOf)","limit":1000,"area":"411525003001001"}"#)["residents"]!.arrayValue!
            let walked = try t.ok("worklist.permitEligible", #"{"asOf":"\#(asOf)","limit":1000,"area":"411525003"}"#)["residents"]!.arrayValue!
            #expect(grid == walked.filter { item in stays.contains { $0.unit == item["unitId"]!.stringValue! && $0.grid == "411525003001001" } })
            nonEmpty.permits += expected
            // Unregistered units against the unit events.
            let unitEvents = try t.registry.read { db in
                try Row.fetchAll(db, sql: "SELECT type, unit_id, date FROM ledger_event WHERE type IN ('unit_added', 'unit_registered', 'unit_closed')")
            }
            var discovered: [String: String] = [:], registered: [String: String] = [:]
            for event in unitEvents {
                if event[0] as String == "unit_added" { discovered[event[1]] = event[2] } else if event[0] as String == "unit_registered" { registered[event[1]] = event[2] }
            }
            let cutoff = CivilDate(asOf)!.adding(days: -30).description
            let want = discovered.filter { $0.value <= cutoff && (registered[$0.key].map { $0 > asOf } ?? true) }.count
            #expect(try t.ok("worklist.unregisteredUnits", #"{"asOf":"\#(asOf)","limit":1000}"#)["units"]!.arrayValue!.count == want)
            nonEmpty.units += want
        }
        #expect(nonEmpty.diff > 10 && nonEmpty.permits > 2 && nonEmpty.units > 5, "the generated data exercises every method: \(nonEmpty)")
    }
}
