import Foundation
import Testing

@Suite("The registry binary, end to end", .serialized)
struct CommandLineTests {
    @Test("a clerk's day: init, areas, a rental unit, a tenant, a table and --json")
    func clerkSession() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        let unit = try b.run("unit", "add", "--grid", "411525003001001", "--address", "秀水路8号2单元301", "--kind", "rental",
                             "--discovered-on", "2025-01-10", "--landlord-name", "李四", "--landlord-id-number", "11010519491231002X", "--json")
        #expect(unit.status == 0)
        #expect(unit.stdout == #"{"unitId":"411525003001001-0001"}"# + "\n")
        let reg = try b.run("resident", "register", "--id-number", "341522199001010012", "--name", "王小明",
                            "--unit-id", "411525003001001-0001", "--moved-in", "2025-02-01", "--json", "--operator", "clerk-zhang")
        #expect(reg.status == 0, "\(reg.stderr)")
        let result = try #require(try json(reg.stdout) as? [String: Any])
        #expect(result["idNumber"] as? String == "341522********0012")
        #expect(result["migrant"] as? Bool == true)
        let table = try b.run("unit", "get", "--unit-id", "411525003001001-0001")
        #expect(table.status == 0)
        #expect(table.stdout.contains("王小明"))
        #expect(!table.stdout.contains("341522199001010012"))
        let events = try b.run("ledger", "events", "--json")
        let list = try #require((try json(events.stdout) as? [String: Any])?["events"] as? [[String: Any]])
        #expect(list.map { $0["operator"] as? String } .last == "clerk-zhang")
    }

    @Test("recount builds the months a registry filled request by request lacks; the demographics agree before and after, and check stays sound")
    func recountBuildsMonths() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        _ = try b.run("unit", "add", "--grid", "411525003001001", "--address", "秀水路8号", "--kind", "rental", "--discovered-on", "2020-01-10")
        for (n, (id, day)) in [("341522199001010012", "2020-02-01"), ("411525201003150024", "2021-06-15")].enumerated() {
            let reg = try b.run("resident", "register", "--id-number", id, "--name", "人\(n)", "--unit-id", "411525003001001-0001", "--moved-in", day)
            #expect(reg.status == 0, "\(reg.stderr)")
        }
        let before = try b.run("analysis", "demographics", "--level", "grid", "--as-of", "2022-03-31", "--json")
        let recount = try b.run("recount", "--json")
        #expect(recount.status == 0, "\(recount.stderr)")
        let months = try #require((try json(recount.stdout) as? [String: Any])?["months"] as? Int)
        #expect(months > 60, "2020-02 to today's month")
        let after = try b.run("analysis", "demographics", "--level", "grid", "--as-of", "2022-03-31", "--json")
        #expect(after.stdout == before.stdout)
        #expect(after.stdout.contains(#""residents":2"#))
        #expect(try b.run("check").status == 0)
    }

    @Test("tables stay aligned with Chinese text")
    func alignment() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        let out = try b.run("area", "list").stdout.split(separator: "\n").map(String.init)
        // The column after the name starts at the same display column on every row.
        func displayColumn(of needle: String, in line: String) -> Int? {
            guard let range = line.range(of: needle) else { return nil }
            return line[..<range.lowerBound].unicodeScalars.reduce(0) { $0 + (($1.value >= 0x4E00 && $1.value <= 0x9FFF) ? 2 : 1) }
        }
        let columns = out.dropFirst(2).compactMap { line in
            ["county", "subdistrict", "community", "grid"].lazy.compactMap { displayColumn(of: "  " + $0, in: line) }.first
        }
        #expect(columns.count == 4)
        #expect(Set(columns).count == 1, "\(out.joined(separator: "\n"))")
    }

    @Test("exit status: 0 success, 1 a refused request with its reason, 64 a usage error")
    func exitCodes() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        let refused = try b.run("resident", "register", "--id-number", "110105194912310021", "--name", "x", "--unit-id", "u", "--moved-in", "2025-01-01")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("invalid_id_number"))
        #expect(refused.stderr.contains("idNumber"))
        #expect(try b.run("metrics", "registration-rate", "--level", "street", "--as-of", "2025-06-30").status == 64)
        #expect(try b.run("metrics", "registration-rate", "--level", "grid", "--as-of", "2025-02-30").status == 64)
        #expect(try b.run("resident", "find", "--limit", "many").status == 64)
        #expect(try b.run("unit", "frobnicate").status == 64)
        let noPurpose = try b.run("resident", "get", "--id-number", "11010519491231002X", "--reveal")
        #expect(noPurpose.status == 1)
        #expect(noPurpose.stderr.contains("purpose_required"))
        let missing = try b.run(["area", "list", "--db", b.folder + "/none.sqlite"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no_database"))
        #expect(!FileManager.default.fileExists(atPath: b.folder + "/none.sqlite"))
    }

    @Test("init again: same county succeeds, another county fails; --db and REGISTRY_DB both work")
    func initTwice() throws {
        let b = try Binary()
        defer { b.remove() }
        #expect(try b.run("init", "--county", "411525", "--name", "固始县").status == 0)
        #expect(try b.run("init", "--county", "411525", "--name", "固始县").status == 0)
        let other = try b.run("init", "--county", "411526", "--name", "潢川县")
        #expect(other.status == 1)
        #expect(other.stderr.contains("county_mismatch"))
        let elsewhere = b.folder + "/other.sqlite"
        #expect(try b.run(["init", "--county", "411526", "--name", "潢川县", "--db", elsewhere]).status == 0)
        let listed = try b.run(["area", "list", "--json"], environment: ["REGISTRY_DB": elsewhere])
        #expect(listed.stdout.contains("潢川县"))
        let attributes = try FileManager.default.attributesOfItem(atPath: elsewhere)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test("a refused request leaves the database file's content unchanged")
    func refusalChangesNothing() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        try b.run("unit", "add", "--grid", "411525003001001", "--address", "a", "--kind", "rental", "--discovered-on", "2025-01-01", "--unit-id", "U1")
        let before = try b.run("ledger", "export", "--format", "ndjson").stdout
        #expect(try b.run("unit", "add", "--grid", "411525003001001", "--address", "b", "--kind", "rental", "--discovered-on", "2025-01-01", "--unit-id", "U1").status == 1)
        #expect(try b.run("unit", "close", "--unit-id", "U1", "--date", "2024-01-01").status == 1)
        #expect(try b.run("ledger", "export", "--format", "ndjson").stdout == before)
    }

    @Test("ledger export: CSV with BOM to a file, audited; --reveal needs --purpose")
    func export() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        try b.run("unit", "add", "--grid", "411525003001001", "--address", "秀水路1号,东楼", "--kind", "rental", "--discovered-on", "2025-01-01", "--unit-id", "U1")
        try b.run("resident", "register", "--id-number", "341522199001010012", "--name", "王小明", "--unit-id", "U1", "--moved-in", "2025-02-01")
        let file = b.folder + "/out.csv"
        let run = try b.run(["ledger", "export", "-o", file, "--operator", "liaison-li"])
        #expect(run.status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        #expect(text.hasPrefix("seq,type,date,id_number,name,sex,birth_date,hukou_code,migrant,unit_id,address,grid,community,subdistrict,operator,recorded_at\r\n"))
        #expect(text.contains("\"秀水路1号,东楼\""))
        #expect(text.contains("341522********0012"))
        #expect(!text.contains("341522199001010012"))
        let bad = try b.run(["ledger", "export", "--reveal"])
        #expect(bad.status == 1)
        let revealed = try b.run(["ledger", "export", "--reveal", "--purpose", "周报核对", "--format", "ndjson"])
        #expect(revealed.stdout.contains("341522199001010012"))
        let audit = try b.run("audit", "list", "--json")
        let entries = try #require((try json(audit.stdout) as? [String: Any])?["entries"] as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries[0]["operator"] as? String == "liaison-li")
        #expect(entries.map { $0["action"] as? String } == ["export", "export"])
        #expect(entries[1]["purpose"] as? String == "周报核对")
        #expect(entries.map { $0["count"] as? Int } == [2, 2])
        let roster = try b.run("ledger", "roster", "--as-of", "2025-06-30")
        #expect(roster.stdout.contains("id_number,name,sex,birth_date,hukou_code,migrant,unit_id,address,grid,community,subdistrict,moved_in\r\n"))
    }

    @Test("import refuses a file with bad rows, listing each, and leaves the database unchanged")
    func importRefusal() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        let file = b.folder + "/areas.csv"
        try "code,name,level,parent\n411525003002,状元社区,community,411525003\n411525003003,,community,411525003\n411525009,x,town,411525\n".write(toFile: file, atomically: true, encoding: .utf8)
        let run = try b.run("import", "areas", file)
        #expect(run.status == 1)
        #expect(run.stderr.contains("line 3, column name"))
        #expect(run.stderr.contains("line 4, column level"))
        #expect(try b.run("area", "list", "--parent", "411525003", "--json").stdout.contains("411525003002") == false)
    }

    @Test("generate then import in order loads cleanly")
    func generateImport() throws {
        let b = try Binary()
        defer { b.remove() }
        #expect(try b.run("init", "--county", "411525", "--name", "固始县").status == 0)
        let out = b.folder + "/gen"
        #expect(try b.run(["generate", "--residents", "300", "--seed", "3", "--out", out]).status == 0)
        for kind in ["areas", "units", "residents"] {
            let run = try b.run(["import", kind, "\(out)/\(kind).csv", "--json"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let people = try b.run("resident", "find", "--limit", "1000", "--json")
        #expect(((try json(people.stdout) as? [String: Any])?["residents"] as? [Any])?.count == 300)
    }

    @Test("seed fills a new database once; demo prints its headline without leaving files")
    func seedAndDemo() throws {
        let b = try Binary()
        defer { b.remove() }
        let seeded = try b.run("seed", "--json")
        #expect(seeded.status == 0, "\(seeded.stderr)")
        #expect(seeded.stdout.contains(#""residents":"#))
        let again = try b.run("seed")
        #expect(again.status == 1)
        #expect(again.stderr.contains("not_empty"))
        let demo = try b.run(["demo", "--json"])
        #expect(demo.status == 0)
        let headline = try #require(try json(demo.stdout) as? [String: Any])
        let rows = try #require((headline["demographics"] as? [String: Any])?["rows"] as? [[String: Any]])
        let xiushui = try #require(rows.first { $0["code"] as? String == "411525003" })
        let share = try #require(xiushui["migrantShare"] as? Double)
        #expect(share > 0.7 && share < 0.9)
        #expect(xiushui["flagged"] as? Bool == true)
        let points = try #require((headline["xiushuiTrend"] as? [String: Any])?["points"] as? [[String: Any]])
        #expect(points.count == 19)
        let first = try #require(points.first?["rate"] as? Double), last = try #require(points.last?["rate"] as? Double)
        #expect(first > 0.5 && first < 0.6)
        #expect(last > 0.88 && last < 0.97)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: b.folder).filter { !$0.hasPrefix("registry.sqlite") }
        #expect(leftovers.isEmpty)
    }
}
