import Foundation
import GRDB
import Testing
@testable import RegistryCore

@Suite("Schema")
struct SchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the binary applies exactly the text of schema.sql")
    func embeddedSchemaMatchesFile() throws {
        let file = try String(contentsOf: Self.root.appendingPathComponent("schema.sql"), encoding: .utf8)
        #expect(SchemaText.sql + "\n" == file, "run scripts/embed-schema after editing schema.sql")
    }

    @Test("a new database records the schema version, WAL mode and foreign keys")
    func versionAndPragmas() throws {
        let t = try TestRegistry()
        let (version, mode, keys) = try t.registry.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA user_version"), try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(version == Migrations.current)
        #expect(mode == "wal")
        #expect(keys == 1)
    }

    @Test("a database from a newer program is refused with a clear message")
    func newerSchemaRefused() throws {
        let t = try TestRegistry()
        try t.registry.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = 99") }
        do {
            _ = try Registry.open(path: t.path)
            Issue.record("opened a newer database")
        } catch {
            #expect(error.reason.rawValue == "schema_too_new")
            #expect(error.message.contains("99"))
        }
    }

    @Test("an SQLite file that is not a registry is refused, not overwritten")
    func foreignDatabaseRefused() throws {
        let path = NSTemporaryDirectory() + "foreign-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "CREATE TABLE other (x)") }
        #expect(throws: RegistryError.self) { try Registry.open(path: path) }
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE name = 'area'") } == 0)
    }

    @Test("constraints guard the invariants even against hand-written SQL; ledger and audit are append-only")
    func databaseConstraints() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.moveIn(makeID(), "U1", on: "2025-02-01")
        try t.registry.pool.write { db in
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE ledger_event SET name = 'x'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM ledger_event") }
            // A second open residence for the same person.
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO residence (resident, unit, moved_in) SELECT resident, unit, '2025-03-01' FROM residence")
            }
            // An impossible date, an unknown kind, a unit whose community is not its grid's.
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE unit SET discovered_on = '2025-02-30'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE unit SET kind = 'hotel'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE unit SET community = '411525001001'") }
            // A grid directly under a subdistrict.
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO area (code, name, level, parent, subdistrict, community) VALUES ('411525003009', 'x', 'grid', '411525003', '411525003', '411525003')")
            }
            // Registering an owner-occupied unit, closing before discovery.
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO unit (unit_id, grid, community, subdistrict, address, kind, discovered_on, registered_on) VALUES ('O', '411525003001001', '411525003001', '411525003', 'a', 'owner', '2025-01-01', '2025-01-02')")
            }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE unit SET closed_on = '2024-12-31'") }
        }
        try t.ok("resident.get", #"{"idNumber":"\#(makeID())","reveal":true,"purpose":"check"}"#)
        try t.registry.pool.write { db in
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE audit_entry SET purpose = 'x'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM audit_entry") }
        }
    }
}
