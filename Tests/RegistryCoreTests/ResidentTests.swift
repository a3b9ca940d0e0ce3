import Testing
@testable import RegistryCore

@Suite("Residents and households")
struct ResidentTests {
    @Test("registering a person derives sex, birth date and hukou code, and masks the ID number")
    func register() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let id = makeID(prefix: "341522", birth: "19880315", sequence: 124)
        let result = try t.moveIn(id, "U1", on: "2025-02-01", name: "王芳")
        #expect(result["idNumber"] == .string(IDNumber.mask(id)))
        #expect(result["migrant"] == .bool(true))
        let person = try t.ok("resident.get", #"{"idNumber":"\#(id)"}"#)
        #expect(person["idNumber"] == .string(IDNumber.mask(id)))
        #expect(person["sex"] == .string("female"))
        #expect(person["birthDate"] == .string("1988-**-**"), "masked beside a masked number: it is the number's hidden digits")
        #expect(person["hukouCode"] == .string("341522"))
        #expect(person["phone"] == .null)
        #expect(person["residences"] == .array([.object([("unitId", .string("U1")), ("movedIn", .string("2025-02-01")), ("movedOut", .null)])]))
    }

    @Test("lookups accept the lower-case x and the 15-digit form of the same person")
    func lookupForms() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.moveIn("610104196209276908", "U1", on: "2025-02-01")
        #expect(try t.ok("resident.get", #"{"idNumber":"610104620927690","reveal":true,"purpose":"核对"}"#)["birthDate"] == .string("1962-09-27"))
        try t.moveIn("11010519491231002x", "U1", on: "2025-02-01", name: "李四")
        #expect(try t.ok("resident.get", #"{"idNumber":"11010519491231002X"}"#)["name"] == .string("李四"))
    }

    @Test("a second open residence is a conflict; transfer closes the old one on the new move-in day")
    func transfer() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.addUnit("U2", grid: "411525001001001")
        let id = makeID()
        try t.moveIn(id, "U1", on: "2025-02-01")
        let before = try t.snapshot()
        let conflict = t.refusal("resident.register", #"{"idNumber":"\#(id)","name":"张三","unitId":"U2","movedIn":"2025-03-01"}"#)
        #expect(conflict?.reason.rawValue == "open_residence")
        #expect(conflict?.category == .conflict)
        #expect(try t.snapshot() == before)
        let backwards = t.refusal("resident.register", #"{"idNumber":"\#(id)","name":"张三","unitId":"U2","movedIn":"2025-01-01","transfer":true}"#)
        #expect(backwards?.reason.rawValue == "invalid_date")
        #expect(try t.snapshot() == before)
        try t.moveIn(id, "U2", on: "2025-03-01", extra: #","transfer":true"#)
        let residences = try t.ok("resident.get", #"{"idNumber":"\#(id)"}"#)["residences"]!.arrayValue!
        #expect(residences.map { $0["movedOut"] } == [.string("2025-03-01"), .null])
        let events = try t.ok("ledger.events")["events"]!.arrayValue!.suffix(2)
        #expect(events.map { $0["type"]!.stringValue! } == ["move_out", "move_in"])
        #expect(events.map { $0["unitId"]!.stringValue! } == ["U1", "U2"])
    }

    @Test("transfer with no open residence simply registers")
    func transferWithoutOpenResidence() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.moveIn(makeID(), "U1", on: "2025-02-01", extra: #","transfer":true"#)
        #expect(try t.ok("ledger.events")["events"]!.arrayValue!.last?["type"] == .string("move_in"))
    }

    @Test("a known person's profile is updated, keeping what the request leaves out, with profile_updated first")
    func profileUpdates() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.addUnit("U2")
        let id = makeID()
        try t.moveIn(id, "U1", on: "2025-02-01", extra: #","phone":"13800000000","hukouCode":"411525003""#)
        try t.ok("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-03-01"}"#)
        // Same name, no phone or hukou given: nothing changes, no profile event.
        try t.moveIn(id, "U2", on: "2025-03-05")
        var person = try t.ok("resident.get", #"{"idNumber":"\#(id)","reveal":true,"purpose":"核对"}"#)
        #expect(person["phone"] == .string("13800000000"))
        #expect(person["hukouCode"] == .string("411525003"))
        #expect(try t.ok("ledger.events")["events"]!.arrayValue!.filter { $0["type"] == .string("profile_updated") }.isEmpty)
        // A new name and phone, with a transfer: profile_updated, move_out, move_in.
        try t.moveIn(id, "U1", on: "2025-04-01", name: "张三丰", extra: #","phone":"13900000000","transfer":true"#)
        person = try t.ok("resident.get", #"{"idNumber":"\#(id)"}"#)
        #expect(person["name"] == .string("张三丰"))
        #expect(person["phone"] == .string("139****0000"))
        #expect(person["hukouCode"] == .string("411525003"))
        let last = try t.ok("ledger.events")["events"]!.arrayValue!.suffix(3)
        #expect(last.map { $0["type"]!.stringValue! } == ["profile_updated", "move_out", "move_in"])
        #expect(last.allSatisfy { $0["date"] == .string("2025-04-01") })
        #expect(last.first?["name"] == .string("张三丰"))
    }

    @Test("events are snapshots: a later profile change does not alter earlier events")
    func snapshots() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.addUnit("U2")
        let id = makeID(prefix: "341522")
        try t.moveIn(id, "U1", on: "2025-02-01", name: "旧名")
        try t.moveIn(id, "U2", on: "2025-03-01", name: "新名", extra: #","hukouCode":"411525","transfer":true"#)
        let events = try t.ok("ledger.events")["events"]!.arrayValue!.filter { $0["idNumber"] != .null }
        #expect(events.first?["name"] == .string("旧名"))
        #expect(events.first?["hukouCode"] == .string("341522"))
        #expect(events.first?["migrant"] == .bool(true))
        #expect(events.last?["name"] == .string("新名"))
        #expect(events.last?["migrant"] == .bool(false))
    }

    @Test("moving out needs an open residence and a date on or after the move-in")
    func moveOut() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let id = makeID()
        #expect(t.refusal("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-03-01"}"#)?.reason.rawValue == "unknown_resident")
        try t.moveIn(id, "U1", on: "2025-02-01")
        #expect(t.refusal("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-01-31"}"#)?.reason.rawValue == "invalid_date")
        #expect(try t.ok("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-03-01"}"#) == .object([("idNumber", .string(IDNumber.mask(id)))]))
        let again = t.refusal("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-03-02"}"#)
        #expect(again?.reason.rawValue == "no_open_residence")
        #expect(again?.category == .conflict)
        // A new residence may not begin before the last one ended (2025-03-01), though after it began.
        let early = t.refusal("resident.register", #"{"idNumber":"\#(id)","name":"张三","unitId":"U1","movedIn":"2025-02-15"}"#)
        #expect(early?.reason.rawValue == "invalid_date")
        #expect(early?.field == "movedIn")
        try t.moveIn(id, "U1", on: "2025-03-01")
    }

    @Test("refused registrations name the field and change nothing")
    func refusals() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let before = try t.snapshot()
        let id = makeID(birth: "20000101")
        let cases: [(String, String, String)] = [
            (#"{"idNumber":"110105194912310021","name":"a","unitId":"U1","movedIn":"2025-01-01"}"#, "idNumber", "invalid_id_number"),
            (#"{"idNumber":"\#(id)","name":"","unitId":"U1","movedIn":"2025-01-01"}"#, "name", "invalid_params"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U9","movedIn":"2025-01-01"}"#, "unitId", "unknown_unit"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"2025/01/01"}"#, "movedIn", "invalid_date"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"1999-12-31"}"#, "movedIn", "invalid_date"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"2025-01-01","hukouCode":"4115"}"#, "hukouCode", "invalid_params"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"2025-01-01","phone":"x"}"#, "phone", "invalid_params"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"2025-01-01","relation":"head"}"#, "relation", "invalid_params"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"2025-01-01","householdId":99}"#, "householdId", "unknown_household"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"2025-01-01","relation":"boss","householdId":1}"#, "relation", "invalid_params"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1","movedIn":"2025-01-01","transfer":"yes"}"#, "transfer", "invalid_params"),
            (#"{"idNumber":"\#(id)","name":"a","unitId":"U1"}"#, "movedIn", "invalid_params"),
            (#"{"idNumber":null,"name":"a","unitId":"U1","movedIn":"2025-01-01"}"#, "idNumber", "invalid_params"),
        ]
        for (params, field, reason) in cases {
            let error = t.refusal("resident.register", params)
            #expect(error?.field == field, "\(params): \(String(describing: error))")
            #expect(error?.reason.rawValue == reason, "\(params): \(String(describing: error))")
        }
        #expect(try t.snapshot() == before)
    }

    @Test("households: the head must live there; members are those living there now")
    func households() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.addUnit("U2")
        let head = makeID(sequence: 11), child = makeID(birth: "20150601", sequence: 22), stranger = makeID(sequence: 33)
        try t.moveIn(head, "U1", on: "2025-02-01", name: "陈强")
        try t.moveIn(stranger, "U2", on: "2025-02-01", name: "外人")
        let notHere = t.refusal("household.create", #"{"unitId":"U1","headIdNumber":"\#(stranger)"}"#)
        #expect(notHere?.reason.rawValue == "not_living_here")
        #expect(notHere?.category == .conflict)
        #expect(t.refusal("household.create", #"{"unitId":"U1","headIdNumber":"\#(makeID(sequence: 44))"}"#)?.reason.rawValue == "unknown_resident")
        let household = try t.ok("household.create", #"{"unitId":"U1","headIdNumber":"\#(head)"}"#)["householdId"]!.intValue!
        try t.moveIn(child, "U1", on: "2025-02-02", name: "陈小", extra: #","householdId":\#(household),"relation":"child""#)
        #expect(t.refusal("resident.register", #"{"idNumber":"\#(makeID(sequence: 55))","name":"x","unitId":"U2","movedIn":"2025-02-02","householdId":\#(household)}"#)?.reason.rawValue == "not_living_here")
        #expect(t.refusal("resident.register", #"{"idNumber":"\#(makeID(sequence: 57))","name":"x","unitId":"U1","movedIn":"2025-02-02","householdId":\#(household),"relation":"head"}"#)?.reason.rawValue == "household_has_head")
        var got = try t.ok("household.get", #"{"householdId":\#(household)}"#)
        #expect(got["unitId"] == .string("U1"))
        #expect(got["members"] == .array([
            .object([("idNumber", .string(IDNumber.mask(head))), ("name", .string("陈强")), ("relation", .string("head"))]),
            .object([("idNumber", .string(IDNumber.mask(child))), ("name", .string("陈小")), ("relation", .string("child"))]),
        ]))
        try t.ok("resident.moveOut", #"{"idNumber":"\#(child)","date":"2025-05-01"}"#)
        got = try t.ok("household.get", #"{"householdId":\#(household)}"#)
        #expect(got["members"]?.arrayValue?.count == 1)
        #expect(t.refusal("household.get", #"{"householdId":999}"#)?.reason.rawValue == "unknown_household")
        // household.create writes no event.
        #expect(try t.ok("ledger.events")["events"]!.arrayValue!.allSatisfy { $0["type"] != .string("household_created") })
    }

    @Test("resident.find filters by name prefix, unit, area and migrant status, and pages")
    func find() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.addUnit("L1", grid: "411525001001001")
        try t.moveIn(makeID(prefix: "341522", sequence: 1), "U1", on: "2025-01-10", name: "王一")
        try t.moveIn(makeID(prefix: "411525", sequence: 2), "U1", on: "2025-01-10", name: "王二")
        try t.moveIn(makeID(prefix: "420116", sequence: 3), "L1", on: "2025-01-10", name: "李三")
        let gone = makeID(prefix: "341522", sequence: 4)
        try t.moveIn(gone, "L1", on: "2025-01-10", name: "王四")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(gone)","date":"2025-02-01"}"#)
        func names(_ params: String) throws -> [String] {
            try t.ok("resident.find", params)["residents"]!.arrayValue!.map { $0["name"]!.stringValue! }
        }
        #expect(try names("{}") == ["王一", "王二", "李三", "王四"])
        #expect(try names(#"{"name":"王"}"#) == ["王一", "王二", "王四"])
        #expect(try names(#"{"name":"王二"}"#) == ["王二"])
        #expect(try names(#"{"unitId":"U1"}"#) == ["王一", "王二"])
        #expect(try names(#"{"area":"411525001"}"#) == ["李三"])
        #expect(try names(#"{"area":"411525"}"#) == ["王一", "王二", "李三"])
        #expect(try names(#"{"migrant":true}"#) == ["王一", "李三", "王四"])
        #expect(try names(#"{"migrant":false,"name":"王"}"#) == ["王二"])
        let item = try t.ok("resident.find", #"{"name":"王四"}"#)["residents"]!.arrayValue![0]
        #expect(item["unitId"] == .null)
        #expect(item.json == .object([
            ("idNumber", .string(IDNumber.mask(gone))), ("name", .string("王四")), ("sex", .string("female")),
            ("birthDate", .string("1990-**-**")), ("hukouCode", .string("341522")), ("migrant", .bool(true)), ("unitId", .null),
        ]))
        var seen: [String] = []
        var after: Int64?
        repeat {
            let page = try t.ok("resident.find", after.map { #"{"limit":3,"after":\#($0)}"# } ?? #"{"limit":3}"#)
            seen += page["residents"]!.arrayValue!.map { $0["name"]!.stringValue! }
            after = page["next"]?.intValue
        } while after != nil
        #expect(seen == ["王一", "王二", "李三", "王四"])
        #expect(t.refusal("resident.find", #"{"limit":1001}"#)?.field == "limit")
        #expect(t.refusal("resident.find", #"{"limit":0}"#)?.field == "limit")
        #expect(t.refusal("resident.find", #"{"unitId":"nope"}"#)?.reason.rawValue == "unknown_unit")
    }
}
