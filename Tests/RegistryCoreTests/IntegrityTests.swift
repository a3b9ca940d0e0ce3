import Foundation
import Crypto
import GRDB
import Testing
@testable import RegistryCore

@Suite("Tamper-evident ledger and audit, check and backup")
struct IntegrityTests {
    func populated() throws -> TestRegistry {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1", registered: "2025-01-02")
        for i in 1...5 { try t.moveIn(makeID(sequence: i), "U1", on: "2025-02-0\(i)", name: "人\(i)") }
        try t.ok("resident.get", #"{"idNumber":"\#(makeID(sequence: 1))","reveal":true,"purpose":"核对"}"#)
        try t.ok("ledger.events", #"{"reveal":true,"purpose":"周报"}"#)
        return t
    }

    @Test("a database written by the program passes every check")
    func sound() throws {
        let t = try populated()
        let report = try t.registry.check()
        #expect(report.isSound)
        #expect(report.ledger.rows == 7)
        #expect(report.audit.rows == 2)
        #expect(report.json["integrity"] == .string("ok"))
    }

    @Test("an edit behind the program's back breaks the chain at that row", arguments: [
        ("ledger_event", "UPDATE ledger_event SET name = '改' WHERE seq = 4", Int64(4)),
        ("ledger_event", "DELETE FROM ledger_event WHERE seq = 3", Int64(4)),
        ("ledger_event", "UPDATE ledger_event SET hash = NULL WHERE seq = 6", Int64(6)),
        ("audit_entry", "UPDATE audit_entry SET purpose = '无' WHERE seq = 1", Int64(1)),
    ])
    func tampering(table: String, sql: String, broken: Int64) throws {
        let t = try populated()
        try t.registry.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER \(table)_no_update; DROP TRIGGER \(table)_no_delete")
            try db.execute(sql: sql)
        }
        let report = try t.registry.check()
        #expect(!report.isSound)
        let verdict = table == "ledger_event" ? report.ledger : report.audit
        #expect(verdict.firstBroken == broken)
    }

    @Test("a plain (schema 2 to 5) link hashes exactly the previous hash, a line feed and JSONWriter's text of the values")
    func linkText() {
        let values: [JSONValue] = [.int(42), .string("秀水路8号\n2单元\"301\"\\ \u{01}\t\r"), .null, .int(-7), .string(""), .string("411525********1234")]
        let previous = HashChain.genesis
        let text = previous + "\n" + JSONWriter.string(.array(values))
        let expected = SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(HashChain.link(previous: previous, values: values, key: nil) == expected)
    }

    @Test("a backup is a new file that passes the check and holds the same rows")
    func backup() throws {
        let t = try populated()
        let path = t.folder + "/backup.sqlite"
        try t.registry.backup(to: path, operator: "tester")
        let copy = try Registry.open(path: path)
        #expect(try copy.check().isSound)
        let count = try copy.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ledger_event") }
        #expect(count == 7)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: RegistryError.self) { try t.registry.backup(to: path, operator: "tester") }
    }
}
