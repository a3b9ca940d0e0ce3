import Crypto
import Foundation
import GRDB
import Testing
@testable import RegistryCore

/// The ledger's write path made cheaper (issue 15): the HMAC with its key's blocks hashed
/// once, the hash's hex written in place, and the event's INSERT kept for the transaction
/// with its bindings. Each must write exactly what the plain way wrote.
@Suite("Ledger writes: prepared HMAC, kept statements")
struct KeptStatementTests {
    @Test("PreparedHMAC gives swift-crypto's HMAC-SHA256 for every message length around the blocks, short and long keys")
    func preparedHMACIsHMAC() {
        var random = SystemRandomNumberGenerator()
        for keyLength in [1, 16, 32, 63, 64, 65, 100, 200] {
            let key = SymmetricKey(data: (0..<keyLength).map { _ in UInt8.random(in: 0...255, using: &random) })
            let prepared = PreparedHMAC(key: key)
            for length in 0...300 {
                let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
                let code = message.withUnsafeBytes { prepared.code($0) }.withUnsafeBytes { Array($0) }
                #expect(code == expected, "key of \(keyLength) bytes, message of \(length)")
            }
        }
    }

    @Test("hex of contiguous bytes is the same text as hex of any sequence")
    func hexInPlace() {
        var random = SystemRandomNumberGenerator()
        for length in [0, 1, 16, 32, 33] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let viaSequence = Hex.string(bytes.lazy.map { $0 })
            #expect(bytes.withUnsafeBytes { Hex.string($0) } == viaSequence)
            #expect(viaSequence == bytes.map { String(format: "%02x", $0) }.joined())
        }
    }

    /// A unit event binds NULL for every person column. Written right after a person's
    /// event through the same kept statement, it must not inherit the person's values.
    @Test("one transaction's events through the kept INSERT: a unit event after a person's holds no person, and the chain holds")
    func keptStatementRebindsEverything() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let register = try JSONParser.parse(Data(#"{"idNumber":"\#(makeID(prefix: "341522"))","name":"王小明","unitId":"U1","movedIn":"2025-03-01","phone":"13800000000"}"#.utf8))
        let unit = try JSONParser.parse(Data(#"{"unitId":"U2","grid":"411525003001002","address":"秀水路2号","kind":"owner","discoveredOn":"2025-03-02"}"#.utf8))
        let outcomes = try t.registry.performGroup(operator: "clerk-chen", isolation: .optimistic) { group in
            [group.perform(method: "resident.register", params: register), group.perform(method: "unit.add", params: unit)]
        }
        #expect(outcomes.allSatisfy { (try? $0.get()) != nil })
        let rows = try t.registry.read { db in
            try Row.fetchAll(db, sql: "SELECT type, resident, name, sex, birth_date, hukou_code, migrant, unit_id, grid FROM ledger_event ORDER BY seq DESC LIMIT 2")
        }
        #expect(rows.count == 2)
        let unitAdded = rows[0], moveIn = rows[1]
        #expect(unitAdded["type"] == "unit_added")
        for column in ["resident", "name", "sex", "birth_date", "hukou_code", "migrant"] {
            #expect((unitAdded[column] as DatabaseValue).isNull, "unit_added carries \(column)")
        }
        #expect(unitAdded["unit_id"] == "U2")
        #expect(unitAdded["grid"] == "411525003001002")
        #expect(moveIn["type"] == "move_in")
        #expect(moveIn["name"] == "王小明")
        #expect(moveIn["migrant"] == 1)
        #expect(try t.registry.check().isSound)
    }
}
