import Testing
@testable import RegistryCore

@Suite("Areas and units")
struct AreaAndUnitTests {
    @Test("area codes must extend the parent's code, one level down")
    func areaRules() throws {
        let t = try TestRegistry()
        try t.addAreas()
        let wrongPrefix = t.refusal("area.add", #"{"code":"411526003002","name":"x","level":"community","parent":"411525003"}"#)
        #expect(wrongPrefix?.reason.rawValue == "invalid_area_code")
        #expect(wrongPrefix?.category == .invalidParams)
        let sameLength = t.refusal("area.add", #"{"code":"411525003","name":"x","level":"community","parent":"411525003"}"#)
        #expect(sameLength?.reason.rawValue == "invalid_area_code")
        let skipsLevel = t.refusal("area.add", #"{"code":"411525003009","name":"x","level":"grid","parent":"411525003"}"#)
        #expect(skipsLevel?.reason.rawValue == "invalid_area_code")
        #expect(skipsLevel?.field == "parent")
        let county = t.refusal("area.add", #"{"code":"411525009","name":"x","level":"county","parent":"411525"}"#)
        #expect(county?.field == "level")
        let unknown = t.refusal("area.add", #"{"code":"411525009001","name":"x","level":"community","parent":"411525009"}"#)
        #expect(unknown?.reason.rawValue == "unknown_area")
        #expect(unknown?.category == .notFound)
        let duplicate = t.refusal("area.add", #"{"code":"411525003","name":"秀水","level":"subdistrict","parent":"411525"}"#)
        #expect(duplicate?.reason.rawValue == "duplicate_area")
        #expect(duplicate?.category == .conflict)
        let letters = t.refusal("area.add", #"{"code":"41152500A","name":"x","level":"subdistrict","parent":"411525"}"#)
        #expect(letters?.reason.rawValue == "invalid_area_code")
        let badLevel = t.refusal("area.add", #"{"code":"411525009","name":"x","level":"town","parent":"411525"}"#)
        #expect(badLevel?.field == "level")
        #expect(badLevel?.message.contains("subdistrict, community, grid") == true)
    }

    @Test("area.list lists everything, county first, or the children of a parent")
    func listing() throws {
        let t = try TestRegistry()
        try t.addAreas()
        let all = try t.ok("area.list")["areas"]!.arrayValue!
        #expect(all.count == 8)
        #expect(all[0] == .object([("code", .string("411525")), ("name", .string("固始县")), ("level", .string("county")), ("parent", .null)]))
        let children = try t.ok("area.list", #"{"parent":"411525003001"}"#)["areas"]!.arrayValue!
        #expect(children.map { $0["code"]!.stringValue! } == ["411525003001001", "411525003001002"])
        #expect(t.refusal("area.list", #"{"parent":"999999"}"#)?.reason.rawValue == "unknown_area")
    }

    @Test("a unit goes unregistered → registered → closed, each with its event")
    func unitLifecycle() throws {
        let t = try TestRegistry()
        try t.addAreas()
        let id = try t.ok("unit.add", #"{"grid":"411525003001001","address":"秀水路1号","kind":"rental","discoveredOn":"2025-01-05"}"#)["unitId"]!.stringValue!
        #expect(id == "411525003001001-0001")
        #expect(try t.ok("unit.get", #"{"unitId":"\#(id)"}"#)["status"] == .string("unregistered"))
        #expect(try t.ok("unit.register", #"{"unitId":"\#(id)","date":"2025-02-01"}"#) == .object([("unitId", .string(id)), ("status", .string("registered"))]))
        #expect(t.refusal("unit.register", #"{"unitId":"\#(id)","date":"2025-02-02"}"#)?.reason.rawValue == "already_registered")
        #expect(try t.ok("unit.close", #"{"unitId":"\#(id)","date":"2025-03-01"}"#)["status"] == .string("closed"))
        #expect(t.refusal("unit.close", #"{"unitId":"\#(id)","date":"2025-03-02"}"#)?.reason.rawValue == "unit_closed")
        let unit = try t.ok("unit.get", #"{"unitId":"\#(id)"}"#)
        #expect(unit["registeredOn"] == .string("2025-02-01"))
        #expect(unit["closedOn"] == .string("2025-03-01"))
        #expect(unit["residents"] == .array([]))
        let types = try t.ok("ledger.events")["events"]!.arrayValue!.map { $0["type"]!.stringValue! }
        #expect(types == ["unit_added", "unit_registered", "unit_closed"])
    }

    @Test("a rental unit may close without being registered; an owner unit is never registered")
    func ownerAndClosing() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("R", discovered: "2025-01-01")
        #expect(try t.ok("unit.close", #"{"unitId":"R","date":"2025-01-01"}"#)["status"] == .string("closed"))
        #expect(t.refusal("unit.register", #"{"unitId":"R","date":"2025-02-01"}"#)?.reason.rawValue == "unit_closed")
        try t.addUnit("O", kind: "owner")
        #expect(try t.ok("unit.get", #"{"unitId":"O"}"#)["status"] == .string("owner"))
        #expect(t.refusal("unit.register", #"{"unitId":"O","date":"2025-02-01"}"#)?.reason.rawValue == "not_a_rental")
        let addRegisteredOwner = t.refusal("unit.add", #"{"grid":"411525003001001","address":"a","kind":"owner","discoveredOn":"2025-01-01","registeredOn":"2025-01-02"}"#)
        #expect(addRegisteredOwner?.reason.rawValue == "not_a_rental")
        #expect(try t.ok("unit.close", #"{"unitId":"O","date":"2025-06-01"}"#)["status"] == .string("closed"))
    }

    @Test("unit.add refuses bad input naming the field, and changes nothing")
    func unitRefusals() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let before = try t.snapshot()
        let cases: [(String, String, String)] = [
            (#"{"grid":"411525003001","address":"a","kind":"rental","discoveredOn":"2025-01-01"}"#, "grid", "invalid_params"),
            (#"{"grid":"411525003001009","address":"a","kind":"rental","discoveredOn":"2025-01-01"}"#, "grid", "unknown_area"),
            (#"{"grid":"411525003001001","address":" ","kind":"rental","discoveredOn":"2025-01-01"}"#, "address", "invalid_params"),
            (#"{"grid":"411525003001001","address":"a","kind":"hotel","discoveredOn":"2025-01-01"}"#, "kind", "invalid_params"),
            (#"{"grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-02-30"}"#, "discoveredOn", "invalid_date"),
            (#"{"grid":"411525003001001","address":"a","kind":"rental"}"#, "discoveredOn", "invalid_params"),
            (#"{"grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01","unitId":"U1"}"#, "unitId", "duplicate_unit"),
            (#"{"grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01","registeredOn":"2024-12-31"}"#, "registeredOn", "invalid_date"),
            (#"{"grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01","landlord":{"name":"李四","idNumber":"110105194912310021"}}"#, "landlord.idNumber", "invalid_id_number"),
            (#"{"grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01","landlord":{"name":"李四","idNumber":"11010519491231002X","phone":"call me"}}"#, "landlord.phone", "invalid_params"),
            (#"{"grid":411525003001001,"address":"a","kind":"rental","discoveredOn":"2025-01-01"}"#, "grid", "invalid_params"),
            (#"{"grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01","color":"red"}"#, "color", "invalid_params"),
        ]
        for (params, field, reason) in cases {
            let error = t.refusal("unit.add", params)
            #expect(error?.field == field, "\(params)")
            #expect(error?.reason.rawValue == reason, "\(params)")
            #expect(error?.message.contains(field) == true, "\(error?.message ?? "")")
        }
        #expect(t.refusal("unit.register", #"{"unitId":"U1","date":"2024-12-31"}"#)?.reason.rawValue == "invalid_date")
        #expect(t.refusal("unit.get", #"{"unitId":"nope"}"#)?.reason.rawValue == "unknown_unit")
        #expect(try t.snapshot() == before)
    }

    @Test("a unit with residents cannot close, nor close before someone's move-out")
    func closingOccupied() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let id = makeID()
        try t.moveIn(id, "U1", on: "2025-02-01")
        #expect(t.refusal("unit.close", #"{"unitId":"U1","date":"2025-03-01"}"#)?.reason.rawValue == "unit_occupied")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-04-01"}"#)
        #expect(t.refusal("unit.close", #"{"unitId":"U1","date":"2025-03-31"}"#)?.reason.rawValue == "unit_occupied")
        #expect(try t.ok("unit.close", #"{"unitId":"U1","date":"2025-04-01"}"#)["status"] == .string("closed"))
        #expect(t.refusal("resident.register", #"{"idNumber":"\#(id)","name":"张三","unitId":"U1","movedIn":"2025-05-01"}"#)?.reason.rawValue == "unit_closed")
    }
}
