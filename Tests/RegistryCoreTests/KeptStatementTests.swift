import Crypto
import Foundation
import GRDB
import GRDBSQLite
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

    /// A statement for these tests only: a TEMP table of the test's transaction.
    private static let probe: StaticString = "INSERT INTO kept_probe (a, b, c) VALUES (?, ?, ?)"

    @Test("a kept statement reads its text and blob parameters in place: values longer than a chunk, a NUL inside a text, many per step, each stored intact")
    func heldParametersStoredIntact() throws {
        let t = try TestRegistry()
        let long = String(repeating: "秀水街道东大街", count: 400)   // 8,400 bytes: more than a chunk
        let rows: [(String, Data, String?)] = (0..<50).map { n in
            (n % 7 == 0 ? long + "\(n)" : n == 5 ? "甲\u{0}乙" : "第\(n)行", Data((0..<(n * 37 % 300)).map { UInt8(truncatingIfNeeded: $0 &+ n) }),
             n % 3 == 0 ? nil : String(repeating: "x", count: n * 90))
        }
        let stored = try t.registry.performGroup(operator: "clerk") { group throws(RegistryError) in
            try storageErrors {
                try group.db.execute(sql: "CREATE TEMP TABLE kept_probe (a TEXT, b BLOB, c TEXT)")
                for (a, b, c) in rows {
                    let statement = try group.context.kept.statement(Self.probe, in: group.db)
                    statement.bind(1, a)
                    statement.bind(2, b)
                    statement.bind(3, c)
                    try statement.run()
                }
                let read = try Row.fetchAll(group.db, sql: "SELECT CAST(a AS BLOB) AS a, b, c FROM kept_probe ORDER BY rowid")
                try group.db.execute(sql: "DROP TABLE kept_probe")
                return read
            }
        }
        #expect(stored.count == rows.count)
        for (row, expected) in zip(stored, rows) {
            // As bytes: a text with a NUL inside reads back cut short as a Swift string.
            #expect(row["a"] as Data == Data(expected.0.utf8))
            #expect(row["b"] as Data == expected.1)
            #expect(row["c"] as String? == expected.2)
        }
    }

    @Test("a parameter left unbound in a kept statement's next step is NULL, not the step before's value")
    func unboundParameterIsNull() throws {
        let t = try TestRegistry()
        let stored = try t.registry.performGroup(operator: "clerk") { group throws(RegistryError) in
            try storageErrors {
                try group.db.execute(sql: "CREATE TEMP TABLE kept_probe (a TEXT, b BLOB, c TEXT)")
                let first = try group.context.kept.statement(Self.probe, in: group.db)
                first.bind(1, "王小明")
                first.bind(2, Data([1, 2, 3]))
                first.bind(3, "13800000000")
                try first.run()
                let second = try group.context.kept.statement(Self.probe, in: group.db)
                second.bind(1, "李四")
                try second.run()
                let read = try Row.fetchAll(group.db, sql: "SELECT a, b, c FROM kept_probe ORDER BY rowid")
                try group.db.execute(sql: "DROP TABLE kept_probe")
                return read
            }
        }
        #expect(stored.count == 2)
        #expect(stored[1]["a"] as String == "李四")
        #expect((stored[1]["b"] as DatabaseValue).isNull)
        #expect((stored[1]["c"] as DatabaseValue).isNull)
    }

    /// A caller that binds a person's phone and then fails before its step leaves the
    /// statement pointing at bytes its transaction frees. The statement stays in the
    /// connection's cache for the next transaction: once the group is over it must hold
    /// no value at all (reading one would read freed memory, or another request's data).
    @Test("a value bound and never stepped does not outlive its group: the cached statement holds only NULLs afterwards")
    func boundThenThrownIsReleased() throws {
        let t = try TestRegistry()
        try t.registry.performGroup(operator: "clerk") { group throws(RegistryError) in
            try storageErrors { try group.db.execute(sql: "CREATE TEMP TABLE kept_probe (a TEXT, b BLOB, c TEXT)") }
        }
        #expect(throws: RegistryError.self) {
            try t.registry.performGroup(operator: "clerk") { group throws(RegistryError) in
                try storageErrors {
                    let statement = try group.context.kept.statement(Self.probe, in: group.db)
                    statement.bind(1, "13912345678")
                    statement.bind(2, Data(repeating: 7, count: 32))
                }
                throw RegistryError.invalid("name", "refused after binding")
            }
        }
        let expanded = try t.registry.performGroup(operator: "clerk") { group throws(RegistryError) in
            try storageErrors {
                let statement = try group.db.cachedStatement(sql: "\(Self.probe)")
                return sqlite3_expanded_sql(statement.sqliteStatement).map { pointer in
                    defer { sqlite3_free(pointer) }
                    return String(cString: pointer)
                }
            }
        }
        #expect(expanded == "INSERT INTO kept_probe (a, b, c) VALUES (NULL, NULL, NULL)")
    }

    @Test("ParameterBytes: values keep their bytes until reuse, across chunks; reuse writes from the start")
    func parameterBytes() {
        let bytes = ParameterBytes()
        var random = SystemRandomNumberGenerator()
        var held: [(UnsafeRawPointer, [UInt8])] = []
        for length in [0, 1, 100, 4095, 4096, 5000, 3, 12_000, 17] {
            let value = (0..<length).map { _ in UInt8.random(in: 1...255, using: &random) }
            let pointer = value.withUnsafeBytes { bytes.hold($0) }
            held.append((pointer, value))
        }
        for (pointer, value) in held {
            #expect(Array(UnsafeRawBufferPointer(start: pointer, count: value.count)) == value)
            #expect(pointer.load(fromByteOffset: value.count, as: UInt8.self) == 0, "NUL after the value")
        }
        bytes.reuse()
        let again = [UInt8](repeating: 9, count: 10)
        let pointer = again.withUnsafeBytes { bytes.hold($0) }
        #expect(pointer == held[0].0, "reuse starts at the first chunk's start")
    }
}
