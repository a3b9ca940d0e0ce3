import GRDB
import Testing
@testable import RegistryCore

/// A request that writes, then fails: what only a database constraint would cause.
private struct WriteThenFail: RegistryRequest {
    static let method = "test.writeThenFail"
    enum CodingKeys: String, CodingKey, CaseIterable { case code }
    var code: String

    func execute(in context: OperationContext) throws -> JSONValue {
        try context.db.execute(sql: "INSERT INTO area (code, name, level, parent, subdistrict) VALUES (?, 'x', 'subdistrict', '411525', ?)",
                               arguments: [code, code])
        throw RegistryError.conflict(.constraintViolated, "failed after writing")
    }
}

@Suite("Isolation of requests within a group")
struct IsolationTests {
    func add(_ code: String) -> AddArea {
        AddArea(code: code, name: "街道\(code)", level: .subdistrict, parent: "411525")
    }

    func codes(_ t: TestRegistry) throws -> [String] {
        try t.registry.read { try String.fetchAll($0, sql: "SELECT code FROM area WHERE level = 'subdistrict' ORDER BY code") }
    }

    @Test("optimistic: a request that fails after writing makes the group run again with savepoints")
    func replay() throws {
        let t = try TestRegistry()
        var runs = 0
        let outcomes = try t.registry.performGroup(operator: "x", isolation: .optimistic) { group in
            runs += 1
            return [group.perform(add("411525001")).map { $0.json },
                    group.perform(WriteThenFail(code: "411525002")),
                    group.perform(add("411525003")).map { $0.json }]
        }
        #expect(runs == 2)
        #expect(outcomes.map { (try? $0.get()) != nil } == [true, false, true])
        #expect(try codes(t) == ["411525001", "411525003"])
    }

    @Test("optimistic: a request refused before writing needs no replay")
    func noReplay() throws {
        let t = try TestRegistry()
        var runs = 0
        let outcomes = try t.registry.performGroup(operator: "x", isolation: .optimistic) { group in
            runs += 1
            return [group.perform(add("411525001")).map { _ in true }, group.perform(add("411525001")).map { _ in true },
                    group.perform(add("411525002")).map { _ in true }]
        }
        #expect(runs == 1)
        #expect(outcomes.map { (try? $0.get()) != nil } == [true, false, true])
        #expect(try codes(t) == ["411525001", "411525002"])
    }

    @Test("savepoints: the failing request's writes are rolled back, the others kept")
    func savepoints() throws {
        let t = try TestRegistry()
        _ = try t.registry.performGroup(operator: "x", isolation: .savepoints) { group in
            [group.perform(add("411525001")).map { $0.json }, group.perform(WriteThenFail(code: "411525002")),
             group.perform(add("411525003")).map { $0.json }]
        }
        #expect(try codes(t) == ["411525001", "411525003"])
    }
}
