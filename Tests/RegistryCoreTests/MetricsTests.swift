import GRDB
import Testing
@testable import RegistryCore

@Suite("Registration rate and trend")
struct MetricsTests {
    /// Grids A (…001) and B (…002) in 日出东方社区, an empty grid C (…003), and grid L in 蓼城街道.
    func fixture() throws -> TestRegistry {
        let t = try TestRegistry()
        try t.addAreas()
        try t.ok("area.add", #"{"code":"411525003001003","name":"空网格","level":"grid","parent":"411525003001"}"#)
        try t.addUnit("R1", discovered: "2025-01-01", registered: "2025-03-01")
        try t.addUnit("R2", discovered: "2025-01-01")
        try t.ok("unit.close", #"{"unitId":"R2","date":"2025-06-30"}"#)
        try t.addUnit("R3", discovered: "2025-06-30")
        try t.addUnit("R4", grid: "411525003001002", discovered: "2025-02-01")
        try t.ok("unit.register", #"{"unitId":"R4","date":"2025-06-30"}"#)
        try t.addUnit("O1", kind: "owner", discovered: "2025-01-01")
        try t.addUnit("L1", grid: "411525001001001", discovered: "2025-05-01", registered: "2025-05-02")
        try t.ok("unit.close", #"{"unitId":"L1","date":"2025-07-01"}"#)
        return t
    }

    func rows(_ t: TestRegistry, _ params: String) throws -> [String: (Int64, Int64, JSONValue)] {
        var out: [String: (Int64, Int64, JSONValue)] = [:]
        for row in try t.ok("metrics.registrationRate", params)["rows"]!.arrayValue! {
            out[row["code"]!.stringValue!] = (row["known"]!.intValue!, row["registered"]!.intValue!, row["rate"]!)
        }
        return out
    }

    @Test("per grid on a date: closed on the date is gone, discovered or registered on the date counts")
    func gridBoundaries() throws {
        let t = try fixture()
        let onDate = try rows(t, #"{"level":"grid","asOf":"2025-06-30"}"#)
        #expect(onDate.count == 4)
        #expect(onDate["411525003001001"]! == (2, 1, .double(0.5)))
        #expect(onDate["411525003001002"]! == (1, 1, .double(1)))
        #expect(onDate["411525003001003"]! == (0, 0, .null))
        #expect(onDate["411525001001001"]! == (1, 1, .double(1)))
        let dayBefore = try rows(t, #"{"level":"grid","asOf":"2025-06-29"}"#)
        #expect(dayBefore["411525003001001"]! == (2, 1, .double(0.5)))
        #expect(dayBefore["411525003001002"]! == (1, 0, .double(0)))
        let afterClose = try rows(t, #"{"level":"grid","asOf":"2025-07-01"}"#)
        #expect(afterClose["411525001001001"]! == (0, 0, .null))
    }

    @Test("every level, the county included, and the parent filter")
    func levels() throws {
        let t = try fixture()
        let county = try t.ok("metrics.registrationRate", #"{"level":"county","asOf":"2025-06-30"}"#)
        #expect(county == .object([("rows", .array([.object([
            ("code", .string("411525")), ("name", .string("固始县")), ("known", .int(4)), ("registered", .int(3)), ("rate", .double(0.75)),
        ])]))]))
        let subdistricts = try rows(t, #"{"level":"subdistrict","asOf":"2025-06-30"}"#)
        #expect(subdistricts["411525003"]! == (3, 2, .double(2.0 / 3.0)))
        #expect(subdistricts["411525001"]! == (1, 1, .double(1)))
        let community = try rows(t, #"{"level":"community","asOf":"2025-06-30"}"#)
        #expect(community["411525003001"]! == (3, 2, .double(2.0 / 3.0)))
        let underXiushui = try t.ok("metrics.registrationRate", #"{"level":"grid","asOf":"2025-06-30","parent":"411525003"}"#)
        #expect(underXiushui["rows"]!.arrayValue!.map { $0["code"]!.stringValue! } == ["411525003001001", "411525003001002", "411525003001003"])
        #expect(t.refusal("metrics.registrationRate", #"{"level":"grid","asOf":"2025-06-30","parent":"411999"}"#)?.reason.rawValue == "unknown_area")
        #expect(t.refusal("metrics.registrationRate", #"{"level":"street","asOf":"2025-06-30"}"#)?.field == "level")
        #expect(t.refusal("metrics.registrationRate", #"{"level":"grid","asOf":"2025-06-31"}"#)?.reason.rawValue == "invalid_date")
    }

    @Test("monthly points keep the day or take the month's last day; weekly points step 7 days")
    func trend() throws {
        let t = try fixture()
        let monthly = try t.ok("metrics.trend", #"{"area":"411525003","from":"2025-01-31","to":"2025-06-30","step":"month"}"#)["points"]!.arrayValue!
        #expect(monthly.map { $0["date"]!.stringValue! } == ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30"])
        #expect(monthly.map { $0["known"]!.intValue! } == [2, 3, 3, 3, 3, 3])
        #expect(monthly.map { $0["registered"]!.intValue! } == [0, 0, 1, 1, 1, 2])
        #expect(monthly[0]["rate"] == .double(0))
        let weekly = try t.ok("metrics.trend", #"{"area":"411525003001001","from":"2025-06-16","to":"2025-06-30","step":"week"}"#)["points"]!.arrayValue!
        #expect(weekly.map { $0["date"]!.stringValue! } == ["2025-06-16", "2025-06-23", "2025-06-30"])
        let empty = try t.ok("metrics.trend", #"{"area":"411525003001003","from":"2025-06-16","to":"2025-06-16","step":"week"}"#)
        #expect(empty == .object([("points", .array([.object([("date", .string("2025-06-16")), ("known", .int(0)), ("registered", .int(0)), ("rate", .null)])]))]))
        #expect(t.refusal("metrics.trend", #"{"area":"411525003","from":"2025-06-30","to":"2025-01-31","step":"month"}"#)?.field == "to")
        #expect(t.refusal("metrics.trend", #"{"area":"411525003","from":"2025-01-31","to":"2025-06-30","step":"day"}"#)?.field == "step")
        #expect(t.refusal("metrics.trend", #"{"area":"4115","from":"2025-01-31","to":"2025-06-30","step":"week"}"#)?.reason.rawValue == "unknown_area")
    }
}

@Suite("Demographic profile")
struct DemographicsTests {
    func fixture(scope: MigrantScope = .county) throws -> TestRegistry {
        let t = try TestRegistry(scope: scope)
        try t.addAreas()
        try t.addUnit("R1")
        try t.addUnit("R3")
        try t.moveIn(makeID(prefix: "341522", birth: "19900101", sequence: 2), "R1", on: "2025-01-01", name: "P1")
        try t.moveIn(makeID(prefix: "411525", birth: "20110701", sequence: 1), "R1", on: "2025-01-01", name: "P2")
        try t.moveIn(makeID(prefix: "420116", birth: "19650630", sequence: 1), "R3", on: "2025-06-30", name: "P3")
        let p4 = makeID(prefix: "341522", birth: "20100630", sequence: 3)
        try t.moveIn(p4, "R1", on: "2025-01-01", name: "P4")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(p4)","date":"2025-06-30"}"#)
        let p5 = makeID(prefix: "341523", birth: "20100701", sequence: 4)
        try t.moveIn(p5, "R1", on: "2025-01-01", name: "P5")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(p5)","date":"2025-07-01"}"#)
        return t
    }

    @Test("counts, shares, sexes, age bands and origins on a date, hand-computed")
    func profile() throws {
        let t = try fixture()
        let result = try t.ok("analysis.demographics", #"{"level":"grid","asOf":"2025-06-30","parent":"411525003001"}"#)
        let rows = result["rows"]!.arrayValue!
        #expect(rows.count == 2)
        #expect(rows[0] == .object([
            ("code", .string("411525003001001")), ("name", .string("第一网格")), ("residents", .int(4)), ("migrants", .int(3)),
            ("migrantShare", .double(0.75)), ("flagged", .bool(true)), ("male", .int(2)), ("female", .int(2)),
            ("ageBands", .object([("0-14", .int(2)), ("15-59", .int(1)), ("60+", .int(1))])),
            ("topOrigins", .array([
                .object([("province", .string("34")), ("name", .string("安徽省")), ("count", .int(2))]),
                .object([("province", .string("42")), ("name", .string("湖北省")), ("count", .int(1))]),
            ])),
        ]))
        #expect(rows[1]["residents"] == .int(0))
        #expect(rows[1]["migrantShare"] == .null)
        #expect(rows[1]["flagged"] == .bool(false))
        #expect(rows[1]["topOrigins"] == .array([]))
    }

    @Test("the flag is share ≥ threshold")
    func threshold() throws {
        let t = try fixture()
        func flagged(_ threshold: Double) throws -> Bool {
            try t.ok("analysis.demographics", #"{"level":"community","asOf":"2025-06-30","threshold":\#(threshold)}"#)["rows"]!.arrayValue!
                .first { $0["code"] == .string("411525003001") }!["flagged"] == .bool(true)
        }
        #expect(try flagged(0.75))
        #expect(try !flagged(0.76))
        #expect(t.refusal("analysis.demographics", #"{"level":"grid","asOf":"2025-06-30","threshold":1.5}"#)?.field == "threshold")
    }

    @Test("ages turn on the birthday: one day earlier the bands differ")
    func birthdays() throws {
        let t = try fixture()
        let row = try t.ok("analysis.demographics", #"{"level":"grid","asOf":"2025-06-29","parent":"411525003001"}"#)["rows"]!.arrayValue![0]
        // P3 is not there yet; P4 (14 until 06-30) is; P1 35, P2 13, P5 14.
        #expect(row["residents"] == .int(4))
        #expect(row["ageBands"] == .object([("0-14", .int(3)), ("15-59", .int(1)), ("60+", .int(0))]))
    }

    @Test("top origins: at most five, by count then province code")
    func originsOrder() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U")
        let provinces = ["32", "33", "34", "34", "36", "36", "37", "42", "11", "41", "41"]
        for (index, province) in provinces.enumerated() {
            try t.moveIn(makeID(prefix: province + "0102", sequence: index + 1), "U", on: "2025-01-01")
        }
        let origins = try t.ok("analysis.demographics", #"{"level":"subdistrict","asOf":"2025-06-30","parent":"411525"}"#)["rows"]!.arrayValue!
            .first { $0["code"] == .string("411525003") }!["topOrigins"]!.arrayValue!
        #expect(origins.map { $0["province"]!.stringValue! } == ["34", "36", "41", "11", "32"])
        #expect(origins[2]["name"] == .string("河南省"))
        #expect(origins[3]["name"] == .string("北京市"))
    }

    @Test("subdistrict scope: hukou elsewhere in the county counts as migrant; 6 digits judged as county")
    func subdistrictScope() throws {
        let t = try TestRegistry(scope: .subdistrict)
        try t.addAreas()
        try t.addUnit("U")
        let other = try t.moveIn(makeID(sequence: 1), "U", on: "2025-01-01", extra: #","hukouCode":"411525001005""#)
        let same = try t.moveIn(makeID(sequence: 3), "U", on: "2025-01-01", extra: #","hukouCode":"411525003""#)
        let county = try t.moveIn(makeID(sequence: 5), "U", on: "2025-01-01")
        let outside = try t.moveIn(makeID(prefix: "341522", sequence: 7), "U", on: "2025-01-01", extra: #","hukouCode":"341522101""#)
        #expect([other, same, county, outside].map { $0["migrant"] } == [.bool(true), .bool(false), .bool(false), .bool(true)])
        let row = try t.ok("analysis.demographics", #"{"level":"subdistrict","asOf":"2025-06-30"}"#)["rows"]!.arrayValue!
            .first { $0["code"] == .string("411525003") }!
        #expect(row["migrants"] == .int(2))
        // The same people under the county scope: only the one from Anhui.
        let c = try TestRegistry(scope: .county)
        try c.addAreas()
        try c.addUnit("U")
        #expect(try c.moveIn(makeID(sequence: 1), "U", on: "2025-01-01", extra: #","hukouCode":"411525001005""#)["migrant"] == .bool(false))
    }

    @Test("resident.get judges migrant status against the open residence, else the latest")
    func getMigrantLatest() throws {
        let t = try TestRegistry(scope: .subdistrict)
        try t.addAreas()
        try t.addUnit("U")
        try t.addUnit("L", grid: "411525001001001")
        let id = makeID(sequence: 9)
        try t.moveIn(id, "L", on: "2025-01-01", extra: #","hukouCode":"411525003002""#)
        #expect(try t.ok("resident.get", #"{"idNumber":"\#(id)"}"#)["migrant"] == .bool(true))
        try t.moveIn(id, "U", on: "2025-02-01", extra: #","transfer":true"#)
        try t.ok("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-03-01"}"#)
        #expect(try t.ok("resident.get", #"{"idNumber":"\#(id)"}"#)["migrant"] == .bool(false))
    }

    @Test("the Swift and SQL statements of the migrant rule agree")
    func ruleAgreement() throws {
        let queue = try DatabaseQueue()
        let hukous = ["411525", "411526", "411525003", "411525001", "411525003004", "411525001004", "341522", "341522101", "4115250"]
        let subdistricts = ["411525003", "411525001"]
        for scope in MigrantScope.allCases {
            let sql = scope.sqlExpression(hukou: "?", subdistrict: "?", county: "'411525'")
            for hukou in hukous {
                for subdistrict in subdistricts {
                    let args: StatementArguments = scope == .county ? [hukou] : [hukou, hukou, hukou, subdistrict, subdistrict]
                    let fromSQL = try queue.read { try Bool.fetchOne($0, sql: "SELECT \(sql)", arguments: args) }
                    #expect(fromSQL == scope.isMigrant(hukouCode: hukou, subdistrict: subdistrict, county: "411525"), "\(scope) \(hukou) \(subdistrict)")
                }
            }
        }
    }
}

@Suite("Trend against the per-date rate")
struct TrendAgreementTests {
    @Test("every trend point equals the registration rate computed on its date, on generated data")
    func agrees() throws {
        let t = try TestRegistry()
        let folder = t.folder + "/gen"
        _ = try CountyGenerator(residents: 800, seed: 11).write(to: folder)
        for kind in [CSVImport.Kind.areas, .units] {
            _ = try CSVImport(kind: kind).run(t.registry, path: "\(folder)/\(kind.rawValue).csv", operator: "x")
        }
        // Close a few units so that closings fall between points.
        let units = try t.registry.read { try String.fetchAll($0, sql: "SELECT unit_id FROM unit WHERE kind = 'rental' AND discovered_on < '2025-04-01' AND (registered_on IS NULL OR registered_on < '2025-04-01') LIMIT 20") }
        for (index, unit) in units.enumerated() {
            try t.ok("unit.close", #"{"unitId":"\#(unit)","date":"2025-\#(String(format: "%02d", 4 + index % 9))-1\#(index % 10)"}"#)
        }
        for area in ["411525", "411525003", "411525001001"] {
            let points = try t.ok("metrics.trend", #"{"area":"\#(area)","from":"2025-03-03","to":"2026-10-01","step":"week"}"#)["points"]!.arrayValue!
            #expect(points.count > 70)
            let level = area.count == 6 ? "county" : area.count == 9 ? "subdistrict" : "community"
            for point in points.enumerated().filter({ $0.offset % 9 == 0 }).map(\.element) {
                let date = point["date"]!.stringValue!
                let row = try t.ok("metrics.registrationRate", #"{"level":"\#(level)","asOf":"\#(date)"}"#)["rows"]!.arrayValue!
                    .first { $0["code"] == .string(area) }!
                #expect(point["known"] == row["known"], "\(area) \(date)")
                #expect(point["registered"] == row["registered"], "\(area) \(date)")
            }
        }
    }
}
