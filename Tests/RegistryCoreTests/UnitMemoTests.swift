import Foundation
import Testing
@testable import RegistryCore

/// A registration may take its unit from the one before it in the same transaction
/// (``UnitMemo``); a request between them that changes the unit must not be overlooked.
@Suite("The unit a registration found, kept for the next")
struct UnitMemoTests {
    private func params(_ text: String) throws -> JSONValue { try JSONParser.parse(Data(text.utf8)) }

    @Test("in one group: a registration into U1, the person moved out, U1 closed; the next registration into U1 is refused as closed")
    func closedBetweenRegistrations() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let first = makeID(sequence: 1), second = makeID(sequence: 2)
        let requests: [(String, String)] = [
            ("resident.register", #"{"idNumber":"\#(first)","name":"张三","unitId":"U1","movedIn":"2025-02-01"}"#),
            ("resident.moveOut", #"{"idNumber":"\#(first)","date":"2025-02-10"}"#),
            ("unit.close", #"{"unitId":"U1","date":"2025-03-01"}"#),
            ("resident.register", #"{"idNumber":"\#(second)","name":"李四","unitId":"U1","movedIn":"2025-03-05"}"#),
        ]
        let parsed = try requests.map { method, text in (method, try params(text)) }
        let outcomes = try t.registry.performGroup(operator: "clerk", isolation: .optimistic) { group in
            parsed.map { method, value in group.perform(method: method, params: value) }
        }
        #expect(outcomes.prefix(3).allSatisfy { (try? $0.get()) != nil })
        guard case let .failure(refusal) = outcomes[3] else {
            Issue.record("a registration into a unit closed earlier in the same group was accepted")
            return
        }
        #expect(refusal.reason.rawValue == "unit_closed")
        #expect(t.refusal("resident.get", #"{"idNumber":"\#(second)"}"#)?.reason.rawValue == "unknown_resident")
    }

    @Test("in one group: registrations into the same unit and then another each land where they name, events included")
    func sameThenOther() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.addUnit("U2", grid: "411525003001002")
        let registrations = try [("U1", 1), ("U1", 2), ("U2", 3), ("U1", 4)].map { unit, sequence in
            try params(#"{"idNumber":"\#(makeID(sequence: sequence))","name":"张三","unitId":"\#(unit)","movedIn":"2025-02-01"}"#)
        }
        let outcomes = try t.registry.performGroup(operator: "clerk", isolation: .optimistic) { group in
            registrations.map { group.perform(method: "resident.register", params: $0) }
        }
        #expect(outcomes.allSatisfy { (try? $0.get()) != nil })
        let events = try t.ok("ledger.events")["events"]!.arrayValue!.filter { $0["type"] == .string("move_in") }
        #expect(events.map { $0["unitId"]!.stringValue! } == ["U1", "U1", "U2", "U1"])
        #expect(events.map { $0["grid"]!.stringValue! } == ["411525003001001", "411525003001001", "411525003001002", "411525003001001"])
        #expect(try t.registry.check().isSound)
    }

    /// The web service commits many signed-in users' requests in one group: the unit one
    /// clerk's registration found must not carry another clerk past the area check.
    @Test("in one group: a Xiushui clerk registers into U1, then a Liaocheng clerk's registration into U1 is forbidden")
    func otherClerksArea() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let xiushui = Principal(username: "clerk-xs", role: .clerk, areas: [AreaScope(code: "411525003", level: .subdistrict)])
        let liaocheng = Principal(username: "clerk-lc", role: .clerk, areas: [AreaScope(code: "411525001", level: .subdistrict)])
        let first = try params(#"{"idNumber":"\#(makeID(sequence: 1))","name":"张三","unitId":"U1","movedIn":"2025-02-01"}"#)
        let second = try params(#"{"idNumber":"\#(makeID(sequence: 2))","name":"李四","unitId":"U1","movedIn":"2025-02-01"}"#)
        let outcomes = try t.registry.performGroup(operator: "web", isolation: .optimistic) { group in
            [group.acting(as: xiushui).perform(method: "resident.register", params: first),
             group.acting(as: liaocheng).perform(method: "resident.register", params: second)]
        }
        #expect((try? outcomes[0].get()) != nil)
        guard case let .failure(refusal) = outcomes[1] else {
            Issue.record("a clerk of another subdistrict registered someone into U1")
            return
        }
        #expect(refusal.category == .forbidden)
    }
}
