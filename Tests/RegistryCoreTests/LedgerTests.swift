import GRDB
import Foundation
import Testing
@testable import RegistryCore

@Suite("Ledger, roster and audit")
struct LedgerTests {
    func fixture() throws -> (TestRegistry, [String]) {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1", discovered: "2025-01-01")
        try t.addUnit("L1", grid: "411525001001001", discovered: "2025-01-02", registered: "2025-01-03")
        var ids: [String] = []
        for i in 0..<5 {
            let id = makeID(prefix: i % 2 == 0 ? "341522" : "411525", sequence: i + 1)
            ids.append(id)
            try t.moveIn(id, i < 3 ? "U1" : "L1", on: "2025-02-0\(i + 1)", name: "人\(i)")
        }
        try t.ok("resident.moveOut", #"{"idNumber":"\#(ids[0])","date":"2025-03-01"}"#)
        return (t, ids)
    }

    @Test("events page by cursor and cover every event exactly once")
    func paging() throws {
        let (t, _) = try fixture()
        let all = try t.ok("ledger.events", #"{"limit":1000}"#)["events"]!.arrayValue!
        #expect(all.count == 3 + 5 + 1)
        #expect(all.map { $0["seq"]!.intValue! } == Array(1...9))
        for limit in [1, 2, 4, 9, 10] {
            var seen: [Int64] = []
            var after: Int64?
            repeat {
                let page = try t.ok("ledger.events", after.map { #"{"limit":\#(limit),"after":\#($0)}"# } ?? #"{"limit":\#(limit)}"#)
                seen += page["events"]!.arrayValue!.map { $0["seq"]!.intValue! }
                after = page["next"]?.intValue
            } while after != nil
            #expect(seen == Array(1...9), "limit \(limit)")
        }
        #expect(try t.ok("ledger.events", #"{"limit":9}"#)["next"] == .null)
        #expect(t.refusal("ledger.events", #"{"limit":1001}"#)?.field == "limit")
        #expect(t.refusal("ledger.events", #"{"limit":"ten"}"#)?.field == "limit")
    }

    @Test("events filter by area at any level and by an inclusive date range")
    func filters() throws {
        let (t, _) = try fixture()
        func seqs(_ params: String) throws -> [Int64] {
            try t.ok("ledger.events", params)["events"]!.arrayValue!.map { $0["seq"]!.intValue! }
        }
        #expect(try seqs(#"{"area":"411525001"}"#) == [2, 3, 7, 8])
        #expect(try seqs(#"{"area":"411525001001001"}"#) == [2, 3, 7, 8])
        #expect(try seqs(#"{"area":"411525003001"}"#) == [1, 4, 5, 6, 9])
        #expect(try seqs(#"{"area":"411525"}"#).count == 9)
        #expect(try seqs(#"{"from":"2025-02-02","to":"2025-02-04"}"#) == [5, 6, 7])
        #expect(try seqs(#"{"from":"2025-03-01"}"#) == [9])
        #expect(try seqs(#"{"to":"2025-01-02"}"#) == [1, 2])
        #expect(t.refusal("ledger.events", #"{"area":"123456"}"#)?.reason.rawValue == "unknown_area")
    }

    @Test("events carry the snapshot fields, ID numbers masked unless revealed")
    func eventFields() throws {
        let (t, ids) = try fixture()
        let event = try t.ok("ledger.events", #"{"after":3,"limit":1}"#)["events"]!.arrayValue![0]
        #expect(event.json == .object([
            ("seq", .int(4)), ("type", .string("move_in")), ("date", .string("2025-02-01")),
            ("idNumber", .string(IDNumber.mask(ids[0]))), ("name", .string("人0")), ("unitId", .string("U1")),
            ("address", .string("秀水路U1号")), ("grid", .string("411525003001001")), ("community", .string("411525003001")),
            ("subdistrict", .string("411525003")), ("hukouCode", .string("341522")), ("migrant", .bool(true)),
            ("operator", .string("tester")), ("recordedAt", event["recordedAt"]!),
        ]))
        #expect(event["recordedAt"]!.stringValue!.hasSuffix("Z"))
        let unitEvent = try t.ok("ledger.events", #"{"limit":1}"#)["events"]!.arrayValue![0]
        #expect(unitEvent["idNumber"] == .null)
        #expect(unitEvent["migrant"] == .null)
        let revealed = try t.ok("ledger.events", #"{"after":3,"limit":1,"reveal":true,"purpose":"公安核查"}"#)["events"]!.arrayValue![0]
        #expect(revealed["idNumber"] == .string(ids[0]))
    }

    @Test("a reveal without a purpose is forbidden and writes nothing")
    func revealNeedsPurpose() throws {
        let (t, ids) = try fixture()
        let before = try t.snapshot()
        for params in [#"{"reveal":true}"#, #"{"reveal":true,"purpose":"  "}"#] {
            let error = t.refusal("ledger.events", params)
            #expect(error?.category == .forbidden)
            #expect(error?.reason.rawValue == "purpose_required")
            #expect(error?.field == "purpose")
        }
        #expect(t.refusal("resident.get", #"{"idNumber":"\#(ids[1])","reveal":true}"#)?.reason.rawValue == "purpose_required")
        #expect(t.refusal("ledger.roster", #"{"asOf":"2025-06-30","reveal":true}"#)?.reason.rawValue == "purpose_required")
        #expect(try t.snapshot() == before)
    }

    @Test("each reveal writes one audit entry with operator, purpose and count; audit.list pages")
    func audit() throws {
        let (t, ids) = try fixture()
        try t.ok("resident.get", #"{"idNumber":"\#(ids[1])","reveal":true,"purpose":"核对身份"}"#, operator: "民警王")
        try t.ok("ledger.events", #"{"area":"411525001","reveal":true,"purpose":"周报"}"#, operator: "liaison")
        try t.ok("ledger.roster", #"{"asOf":"2025-06-30","migrantOnly":false,"reveal":true,"purpose":"入户走访"}"#)
        try t.ok("resident.get", #"{"idNumber":"\#(ids[1])"}"#)
        let entries = try t.ok("audit.list")["entries"]!.arrayValue!
        #expect(entries.count == 3)
        #expect(entries.map { $0["operator"]!.stringValue! } == ["民警王", "liaison", "tester"])
        #expect(entries.map { $0["action"]!.stringValue! } == ["reveal", "reveal", "reveal"])
        #expect(entries.map { $0["purpose"]!.stringValue! } == ["核对身份", "周报", "入户走访"])
        #expect(entries.map { $0["count"]!.intValue! } == [1, 4, 4])
        let first = try t.ok("audit.list", #"{"limit":2}"#)
        #expect(first["next"] == .int(2))
        let second = try t.ok("audit.list", #"{"limit":2,"after":2}"#)
        #expect(second["entries"]!.arrayValue!.map { $0["seq"]!.intValue! } == [3])
        #expect(second["next"] == .null)
    }

    @Test("the roster lists who lives where on a date, migrants only by default")
    func roster() throws {
        let (t, ids) = try fixture()
        let migrants = try t.ok("ledger.roster", #"{"asOf":"2025-06-30"}"#)["residents"]!.arrayValue!
        #expect(migrants.map { $0["name"]!.stringValue! } == ["人4", "人2"]) // by grid code, then unit
        let everyone = try t.ok("ledger.roster", #"{"asOf":"2025-06-30","migrantOnly":false}"#)["residents"]!.arrayValue!
        #expect(everyone.count == 4)
        let early = try t.ok("ledger.roster", #"{"asOf":"2025-02-01","area":"411525003"}"#)["residents"]!.arrayValue!
        #expect(early.count == 1)
        #expect(early[0] == .object([
            ("idNumber", .string(IDNumber.mask(ids[0]))), ("name", .string("人0")), ("sex", .string("male")),
            ("birthDate", .string("1990-**-**")), ("hukouCode", .string("341522")), ("unitId", .string("U1")),
            ("address", .string("秀水路U1号")), ("grid", .string("411525003001001")), ("movedIn", .string("2025-02-01")),
        ]))
    }

    @Test("an export streams CSV with BOM, header and CRLF, quotes what needs it, and is audited")
    func exportCSV() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.ok("unit.add", #"{"unitId":"Q","grid":"411525003001001","address":"秀水路1号,\"东\"楼\n2单元","kind":"rental","discoveredOn":"2025-01-01"}"#)
        let id = makeID(prefix: "341522")
        try t.moveIn(id, "Q", on: "2025-02-01")
        let file = t.folder + "/ledger.csv"
        let export = try Export(format: .csv, reveal: false, purpose: nil)
        let summary = try export.ledger(t.registry, area: nil, from: nil, to: nil, after: nil, to: OutputSink.file(file), operator: "liaison")
        #expect(summary.count == 2)
        #expect(summary.lastSeq == 2)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "seq,type,date,id_number,name,sex,birth_date,hukou_code,migrant,unit_id,address,grid,community,subdistrict,operator,recorded_at")
        #expect(text.contains(#""秀水路1号,""东""楼"# + "\n" + #"2单元""#))
        #expect(text.contains(",\(IDNumber.mask(id)),张三,male,1990-**-**,341522,true,Q,"))
        #expect(!text.contains(id))
        #expect(text.hasSuffix("\r\n"))
        let audit = try t.ok("audit.list")["entries"]!.arrayValue!
        #expect(audit.count == 1)
        #expect(audit[0]["action"] == .string("export"))
        #expect(audit[0]["count"] == .int(2))
        #expect(audit[0]["operator"] == .string("liaison"))
        #expect(throws: RegistryError.self) { try Export(format: .csv, reveal: true, purpose: nil) }
    }

    @Test("the CSV byte path writes exactly the rows of the events' and the roster's CSV fields, quoting included")
    func exportBytePathMatchesFields() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.ok("unit.add", #"{"unitId":"Q,1","grid":"411525003001001","address":"秀水路1号,\"东\"楼\r\n2单元","kind":"rental","discoveredOn":"2025-01-01","registeredOn":"2025-01-02"}"#)
        try t.addUnit("R", kind: "owner")
        for n in 1...5 {
            try t.moveIn(makeID(prefix: n % 2 == 0 ? "341522" : "411525", sequence: n), n % 2 == 0 ? "Q,1" : "R", on: "2025-02-0\(n)",
                         name: n == 3 ? #"欧阳\"娜娜\""# : "张三")
        }
        try t.ok("resident.moveOut", #"{"idNumber":"\#(makeID(prefix: "341522", sequence: 2))","date":"2025-03-01"}"#)
        for reveal in [false, true] {
            let file = t.folder + "/ledger-\(reveal).csv"
            _ = try Export(format: .csv, reveal: reveal, purpose: reveal ? "核对" : nil)
                .ledger(t.registry, area: nil, from: nil, to: nil, after: nil, to: OutputSink.file(file), operator: "liaison")
            var expected = CSVText.byteOrderMark
            CSVText.appendRow(LedgerEventRow.csvHeader, to: &expected)
            let disclosure = Disclosure(reveal: reveal, key: t.registry.key!)
            try t.registry.read { db in
                let (sql, arguments) = LedgerQuery().sql()
                for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                    CSVText.appendRow(try LedgerEventRow(row: row, disclosure: disclosure).csvFields, to: &expected)
                }
            }
            let written = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(written.count > 1000)
            #expect(written == Data(expected.utf8))
            let text = String(decoding: written, as: UTF8.self)
            #expect(text.contains(makeID(prefix: "341522", sequence: 2)) == reveal)
            #expect(text.contains("1990-01-01") == reveal)
            #expect(text.contains("1990-**-**") == !reveal)
        }
        // The roster, everyone and migrants only.
        for migrantOnly in [false, true] {
            let rosterFile = t.folder + "/roster-\(migrantOnly).csv"
            let day = CivilDate("2025-02-28")!
            _ = try Export(format: .csv, reveal: false, purpose: nil)
                .roster(t.registry, asOf: day, area: nil, migrantOnly: migrantOnly, to: OutputSink.file(rosterFile), operator: "liaison")
            var roster = CSVText.byteOrderMark
            CSVText.appendRow(RosterRow.csvHeader, to: &roster)
            let people = try t.registry.read { db in
                let (sql, arguments) = RosterQuery(asOf: day, area: nil, migrantOnly: migrantOnly)
                    .sql(settings: t.registry.settings)
                let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
                let disclosure = Disclosure(reveal: false, key: t.registry.key!)
                for row in rows { CSVText.appendRow(try RosterRow(row: row, disclosure: disclosure).csvFields, to: &roster) }
                return rows.count
            }
            #expect(people == (migrantOnly ? 2 : 5))
            #expect(try Data(contentsOf: URL(fileURLWithPath: rosterFile)) == Data(roster.utf8))
        }
    }

    @Test("an incremental export starts exactly after the last one")
    func incremental() throws {
        let (t, _) = try fixture()
        let first = try Export(format: .ndjson, reveal: false, purpose: nil)
            .ledger(t.registry, area: nil, from: nil, to: nil, after: nil, to: OutputSink.file(t.folder + "/a.ndjson"), operator: "x")
        try t.moveIn(makeID(sequence: 99), "U1", on: "2025-04-01")
        let second = try Export(format: .ndjson, reveal: false, purpose: nil)
            .ledger(t.registry, area: nil, from: nil, to: nil, after: first.lastSeq, to: OutputSink.file(t.folder + "/b.ndjson"), operator: "x")
        #expect(first.count == 9)
        #expect(second.count == 1)
        let line = try String(contentsOfFile: t.folder + "/b.ndjson", encoding: .utf8)
        #expect(line.hasPrefix(#"{"seq":10,"type":"move_in","date":"2025-04-01","#))
        #expect(line.contains(#""sex":"male","birthDate":"1990-**-**""#))
    }
}
