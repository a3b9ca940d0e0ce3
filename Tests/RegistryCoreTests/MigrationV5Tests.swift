import Foundation
import GRDB
import Testing
@testable import RegistryCore

/// A real schema-5 database (Fixtures/registry-v5.sqlite, made by the schema-5 binary:
/// a landlord with a phone, three people, a transfer, a move-out, a reveal and a named
/// consumer) migrated to schema 6.
@Suite("Migration from schema 5")
struct MigrationV5Tests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    func copy() throws -> (folder: String, path: String) {
        let folder = NSTemporaryDirectory() + "registry-v5-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/registry.sqlite"
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("registry-v5.sqlite").path, toPath: path)
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("registry-v5.sqlite.key").path, toPath: path + ".key")
        chmod(path + ".key", 0o600)
        chmod(path, 0o600)
        return (folder, path)
    }

    @Test("re-sealed and bound, masked forms gone, chains keyed and sound, everything still found")
    func migrates() throws {
        let (folder, path) = try copy()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let before = try DatabaseQueue(path: path)
        #expect(try before.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 5)
        let plainHead = try before.read { try String.fetchOne($0, sql: "SELECT hash FROM ledger_event ORDER BY seq DESC LIMIT 1") }
        try before.close()

        let registry = try Registry.open(path: path)
        let report = try registry.check()
        #expect(report.isSound, "\(report.json)")
        #expect(report.ledger.rows == 12)
        #expect(report.audit.rows == 2)
        #expect(report.ledger.head?.hash != plainHead, "the chain was linked again, keyed")
        #expect(try registry.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == Migrations.current)
        // The same schema as a new database.
        let fresh = try TestRegistry()
        func shape(_ registry: Registry) throws -> [String] {
            try registry.read { db in
                try String.fetchAll(db, sql: """
                    SELECT m.type || ' ' || m.name || ' ' || coalesce(group_concat(p.name || ':' || p.type || ':' || p."notnull", ','), '')
                    FROM sqlite_master m LEFT JOIN pragma_table_info(m.name) p ON m.type = 'table'
                    WHERE m.name NOT LIKE 'sqlite_%' GROUP BY m.type, m.name ORDER BY m.type, m.name
                    """)
            }
        }
        #expect(try shape(registry) == shape(fresh.registry))
        // People, landlords and phones open; a reveal shows the ledger's numbers.
        let person = try registry.perform(method: "resident.get", params: try JSONParser.parse(Data(#"{"idNumber":"341522199001010012","reveal":true,"purpose":"核对"}"#.utf8)), operator: "x")
        #expect(person["phone"] == .string("13800009999"))
        #expect(person["residences"]?.arrayValue?.count == 2)
        let events = try registry.perform(method: "ledger.events", params: try JSONParser.parse(Data(#"{"reveal":true,"purpose":"核对"}"#.utf8)), operator: "x")
        #expect(events["events"]?.arrayValue?.compactMap { $0["idNumber"]?.stringValue }.contains("420102197306150035") == true)
        let landlord = try registry.read { db in
            try String.fetchOne(db, sql: "SELECT registry_open('unit.landlord_phone', unit_id, landlord_phone_cipher) FROM unit WHERE unit_id = 'U1'")
        }
        #expect(landlord == "13912345678")
        // The consumer kept its position (bound to the whole county) and the audit trail its entries.
        let position = try ExportConsumer.position(of: "police-weekly", area: nil, in: registry)
        #expect(position.lastSeq == 12)
        let audit = try registry.perform(method: "audit.list", params: .object([]), operator: "x")["entries"]!.arrayValue!
        #expect(audit.prefix(2).map { $0["action"]!.stringValue! } == ["reveal", "export"])
        // No masked form or clear number is left in the file.
        try registry.checkpoint()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for secret in ["********", "341522199001010012", "13800009999", "13912345678", "11010519491231002X"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) left in the migrated file")
        }
    }

    @Test("without its key a schema-5 database is not migrated (and no new key is made for it)")
    func needsItsKey() throws {
        let (folder, path) = try copy()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.removeItem(atPath: path + ".key")
        do {
            _ = try Registry.open(path: path)
            Issue.record("migrated without the key")
        } catch {
            #expect(error.reason.rawValue == "key_missing")
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".key"))
        let after = try DatabaseQueue(path: path)
        #expect(try after.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 5)
    }

    @Test("a schema-5 file whose audit trail was edited is not migrated")
    func tamperedRefused() throws {
        let (folder, path) = try copy()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "DROP TRIGGER audit_entry_no_update; UPDATE audit_entry SET purpose = '无' WHERE seq = 1") }
        try queue.close()
        do {
            _ = try Registry.open(path: path)
            Issue.record("migrated a tampered audit trail")
        } catch {
            #expect(error.reason.rawValue == "chain_broken")
        }
    }
}
