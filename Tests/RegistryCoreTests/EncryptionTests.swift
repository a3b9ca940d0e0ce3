import Crypto
import Foundation
import GRDB
import Synchronization
import Testing
@testable import RegistryCore

/// Encryption at rest: ID numbers and phones never reach the database files in the clear,
/// the key file is private, and older databases are sealed by their migration.
@Suite("Encryption at rest and schema migrations")
struct EncryptionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// Every file of the folder (database, WAL, exports) as bytes.
    func folderBytes(_ folder: String) throws -> [(String, Data)] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasSuffix(".key") }.map {
            ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
        }
    }

    @Test("registered ID numbers and phones are in no database file, WAL or export without reveal; the analyzer still reads them")
    func nothingInTheClear() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.ok("unit.add", #"{"unitId":"L1","grid":"411525003001001","address":"a","kind":"rental","discoveredOn":"2025-01-01","landlord":{"name":"房东","idNumber":"\#(makeID(prefix: "413026", sequence: 7))","phone":"13912345678"}}"#)
        let ids = (1...6).map { makeID(prefix: "341522", sequence: $0) }
        for (i, id) in ids.enumerated() {
            try t.moveIn(id, "L1", on: "2025-02-0\(i + 1)", extra: #","phone":"1380000000\#(i)""#)
        }
        // The WAL still holds the recent pages: search it before any checkpoint, and after.
        let exportFile = t.folder + "/ledger.csv"
        _ = try Export(format: .csv, reveal: false, purpose: nil)
            .ledger(t.registry, area: nil, from: nil, to: nil, after: nil, to: try OutputSink.file(exportFile), operator: "x")
        let rosterFile = t.folder + "/roster.csv"
        _ = try Export(format: .csv, reveal: false, purpose: nil)
            .roster(t.registry, asOf: CivilDate("2025-03-01")!, area: nil, migrantOnly: false, to: try OutputSink.file(rosterFile), operator: "x")
        let secrets = ids + [makeID(prefix: "413026", sequence: 7), "13912345678"] + (0..<6).map { "1380000000\($0)" }
        for (name, bytes) in try folderBytes(t.folder) {
            for secret in secrets {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) found in \(name)")
            }
        }
        // The masked form is there, and what the analyzer needs is readable.
        let roster = try String(contentsOfFile: rosterFile, encoding: .utf8)
        #expect(roster.contains(IDNumber.mask(ids[0])))
        let demographics = try t.ok("analysis.demographics", #"{"level":"subdistrict","asOf":"2025-03-01"}"#)
        #expect(demographics["rows"]?.arrayValue?.first { $0["code"] == .string("411525003") }?["migrants"] == .int(6))
        // A lookup by ID number and a reveal still work, through the key.
        let person = try t.ok("resident.get", #"{"idNumber":"\#(ids[2])","reveal":true,"purpose":"核对"}"#)
        #expect(person["idNumber"] == .string(ids[2]))
        #expect(person["phone"] == .string("13800000002"))
        let events = try t.ok("ledger.events", #"{"reveal":true,"purpose":"周报"}"#)
        let revealed = events["events"]?.arrayValue?.compactMap { $0["idNumber"]?.stringValue } ?? []
        #expect(revealed == ids)
        try t.registry.checkpoint()
        for (name, bytes) in try folderBytes(t.folder) {
            for secret in secrets { #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) found in \(name) after a checkpoint") }
        }
    }

    @Test("init writes a key file readable by its owner only; the database is 0600 too")
    func keyFileMode() throws {
        let t = try TestRegistry()
        let key = RegistryKey.defaultPath(forDatabase: t.path)
        #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: t.path)[.posixPermissions] as? Int == 0o600)
        #expect(try String(contentsOfFile: key, encoding: .utf8).hasPrefix("registry-key-v1 "))
    }

    @Test("without its key a copy opens for statistics and checks, and refuses lookups with key_missing; another key is refused")
    func withoutTheKey() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let id = makeID()
        try t.moveIn(id, "U1", on: "2025-02-01")
        let copy = t.folder + "/copy.sqlite"
        try t.registry.backup(to: copy, operator: "tester")
        let opened = try Registry.open(path: copy)
        #expect(try opened.check().isSound)
        let rate = try opened.perform(method: "metrics.registrationRate", params: try JSONParser.parse(Data(#"{"level":"grid","asOf":"2025-03-01"}"#.utf8)), operator: "x")
        #expect(rate["rows"] != nil)
        do {
            _ = try opened.perform(method: "resident.get", params: try JSONParser.parse(Data(#"{"idNumber":"\#(id)"}"#.utf8)), operator: "x")
            Issue.record("looked a person up without the key")
        } catch let error as RegistryError {
            #expect(error.reason.rawValue == "key_missing")
            #expect(error.message.contains("copy.sqlite.key"))
        }
        // The original's key opens the copy.
        let keyed = try Registry.open(path: copy, keyFile: t.registry.keyFile)
        #expect(try keyed.perform(method: "resident.get", params: try JSONParser.parse(Data(#"{"idNumber":"\#(id)"}"#.utf8)), operator: "x")["name"] == .string("张三"))
        // Another registry's key is refused at once.
        let other = try TestRegistry()
        #expect(throws: RegistryError.self) { try Registry.open(path: copy, keyFile: other.registry.keyFile) }
        // A key file others can read is refused.
        chmod(other.registry.keyFile, 0o644)
        do {
            _ = try Registry.open(path: other.path)
            Issue.record("opened with an exposed key file")
        } catch {
            #expect(error.reason.rawValue == "key_file_exposed")
        }
    }

    /// A database as schema version 2 (ID numbers in the clear) made it, with data and
    /// its hash chains; `version1` drops the hash columns as version 1 had none.
    func legacyDatabase(version1: Bool = false) throws -> (folder: String, path: String) {
        let folder = NSTemporaryDirectory() + "registry-legacy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/old.sqlite"
        let queue = try DatabaseQueue(path: path)
        let schema = try String(contentsOf: Self.root.appendingPathComponent("Fixtures/schema-v2.sql"), encoding: .utf8)
        let id1 = makeID(prefix: "341522", sequence: 1), id2 = makeID(prefix: "411525", sequence: 2)
        let landlord = makeID(prefix: "413026", sequence: 9)
        try queue.write { db in
            try db.execute(sql: schema)
            try db.execute(sql: """
                INSERT INTO registry VALUES (1, '411525', '固始县', 'county', '2025-01-01T00:00:00Z');
                INSERT INTO area (code, name, level) VALUES ('411525', '固始县', 'county');
                INSERT INTO area VALUES ('411525003', '秀水街道', 'subdistrict', '411525', '411525003', NULL);
                INSERT INTO area VALUES ('411525003001', '日出东方社区', 'community', '411525003', '411525003', '411525003001');
                INSERT INTO area VALUES ('411525003001001', '第一网格', 'grid', '411525003001', '411525003', '411525003001');
                INSERT INTO unit (id, unit_id, grid, community, subdistrict, address, kind, discovered_on, landlord_name, landlord_id_number, landlord_phone)
                VALUES (1, 'U1', '411525003001001', '411525003001', '411525003', '秀水路1号', 'rental', '2025-01-01', '房东', '\(landlord)', '13911112222');
                INSERT INTO resident VALUES (1, '\(id1)', '甲', 'male', '1990-01-01', '341522', '13800001111');
                INSERT INTO resident VALUES (2, '\(id2)', '乙', 'female', '1990-01-01', '411525', NULL);
                INSERT INTO residence VALUES (1, 1, 1, '2025-02-01', NULL);
                INSERT INTO residence VALUES (2, 2, 1, '2025-02-02', '2025-03-01');
                INSERT INTO ledger_event VALUES (1, 'unit_added', '2025-01-01', NULL, NULL, NULL, NULL, NULL, NULL, 'U1', '秀水路1号', '411525003001001', '411525003001', '411525003', 'old', '2025-01-01T00:00:00Z', NULL);
                INSERT INTO ledger_event VALUES (2, 'move_in', '2025-02-01', '\(id1)', '甲', 'male', '1990-01-01', '341522', 1, 'U1', '秀水路1号', '411525003001001', '411525003001', '411525003', 'old', '2025-02-01T00:00:00Z', NULL);
                INSERT INTO ledger_event VALUES (3, 'move_in', '2025-02-02', '\(id2)', '乙', 'female', '1990-01-01', '411525', 0, 'U1', '秀水路1号', '411525003001001', '411525003001', '411525003', 'old', '2025-02-02T00:00:00Z', NULL);
                INSERT INTO ledger_event VALUES (4, 'move_out', '2025-03-01', '\(id2)', '乙', 'female', '1990-01-01', '411525', 0, 'U1', '秀水路1号', '411525003001001', '411525003001', '411525003', 'old', '2025-03-01T00:00:00Z', NULL);
                INSERT INTO audit_entry VALUES (1, '2025-03-02T00:00:00Z', 'old', 'reveal', '核对', 'resident.get', '{}', 1, NULL);
                """)
            try db.execute(sql: "DROP TRIGGER ledger_event_no_update; DROP TRIGGER audit_entry_no_update")
            try HashChain.relink(db, Migrations.ledgerVersion2, key: nil)
            try HashChain.relink(db, Migrations.auditVersion2, key: nil)
            try db.execute(sql: """
                CREATE TRIGGER ledger_event_no_update BEFORE UPDATE ON ledger_event
                BEGIN SELECT RAISE(ABORT, 'ledger_event is append-only'); END;
                CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
                BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END;
                """)
            if version1 {
                try db.execute(sql: "ALTER TABLE ledger_event DROP COLUMN hash; ALTER TABLE audit_entry DROP COLUMN hash; PRAGMA user_version = 1")
            } else {
                try db.execute(sql: "PRAGMA user_version = 2")
            }
        }
        try queue.close()
        return (folder, path)
    }

    @Test("a version 1 or 2 database is migrated: sealed, chains sound, same people and events", arguments: [false, true])
    func migratesLegacy(version1: Bool) throws {
        let (folder, path) = try legacyDatabase(version1: version1)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let registry = try Registry.open(path: path)
        // The migration made the key.
        #expect(try FileManager.default.attributesOfItem(atPath: path + ".key")[.posixPermissions] as? Int == 0o600)
        let report = try registry.check()
        #expect(report.isSound, "\(report.json)")
        #expect(report.ledger.rows == 4)
        let version = try registry.read { try Int.fetchOne($0, sql: "PRAGMA user_version") }
        #expect(version == Migrations.current)
        // Same schema as a new database: every table's columns and every index and trigger.
        let fresh = try TestRegistry()
        func shape(_ registry: Registry) throws -> [String] {
            try registry.read { db in
                var out: [String] = []
                for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                    out.append(table + ": " + (try Row.fetchAll(db, sql: "PRAGMA table_xinfo(\(table))").map { "\($0["name"] as String) \($0["type"] as String) \($0["notnull"] as Int)" }.joined(separator: ", ")))
                }
                out += try String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name")
                return out
            }
        }
        let (migratedShape, freshShape) = (try shape(registry), try shape(fresh.registry))
        #expect(migratedShape == freshShape, "\(Set(migratedShape).symmetricDifference(freshShape).sorted())")
        // The people are found by ID number, phones open, a reveal shows the ledger's numbers.
        let id1 = makeID(prefix: "341522", sequence: 1), id2 = makeID(prefix: "411525", sequence: 2)
        let person = try registry.perform(method: "resident.get", params: try JSONParser.parse(Data(#"{"idNumber":"\#(id1)"}"#.utf8)), operator: "x")
        #expect(person["phone"] == .string("138****1111"))
        #expect(person["idNumber"] == .string(IDNumber.mask(id1)))
        let revealed = try registry.perform(method: "resident.get", params: try JSONParser.parse(Data(#"{"idNumber":"\#(id1)","reveal":true,"purpose":"核对"}"#.utf8)), operator: "x")
        #expect(revealed["phone"] == .string("13800001111"))
        let events = try registry.perform(method: "ledger.events", params: try JSONParser.parse(Data(#"{"reveal":true,"purpose":"核对"}"#.utf8)), operator: "x")
        #expect(events["events"]?.arrayValue?.map { $0["idNumber"] ?? .null } == [.null, .string(id1), .string(id2), .string(id2)])
        // Still append-only, and the chain goes on.
        #expect(throws: DatabaseError.self) {
            try registry.pool.writeWithoutTransaction { try $0.execute(sql: "UPDATE ledger_event SET name = 'x'") }
        }
        _ = try registry.perform(method: "resident.register", params: try JSONParser.parse(Data(#"{"idNumber":"\#(id2)","name":"乙","unitId":"U1","movedIn":"2025-04-01"}"#.utf8)), operator: "x")
        #expect(try registry.check().isSound)
        // No clear ID number or phone is left in the file.
        try registry.checkpoint()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for secret in [id1, id2, makeID(prefix: "413026", sequence: 9), "13800001111", "13911112222"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) left in the migrated file")
        }
    }

    @Test("a version 2 database whose ledger was tampered with is not migrated, and is left as it was")
    func tamperedLegacyRefused() throws {
        let (folder, path) = try legacyDatabase()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "DROP TRIGGER ledger_event_no_update; UPDATE ledger_event SET name = '丙' WHERE seq = 3") }
        try queue.close()
        do {
            _ = try Registry.open(path: path)
            Issue.record("migrated a tampered ledger")
        } catch {
            #expect(error.reason.rawValue == "chain_broken")
            #expect(error.message.contains("seq 3"))
        }
        let after = try DatabaseQueue(path: path)
        #expect(try after.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 2)
        #expect(try after.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM resident WHERE id_number IS NOT NULL") } == 2)
    }

    @Test("the schema's statements for one table are found in schema.sql")
    func schemaStatements() {
        let resident = SchemaText.statements(of: "resident")
        #expect(resident.map { $0.split(separator: " ").prefix(3).joined(separator: " ") } == [
            "CREATE TABLE resident", "CREATE INDEX resident_name",
            "CREATE TRIGGER population_profile_leaving", "CREATE TRIGGER population_profile_changed",
            "CREATE TRIGGER population_month_profile_leaving", "CREATE TRIGGER population_month_profile_changed",
        ])
        #expect(resident[0].hasPrefix("CREATE TABLE resident ("))
        #expect(resident[3].hasSuffix("END;\n"), "a trigger's statement runs to its END")
        #expect(SchemaText.statements(of: "population_share").first?.hasPrefix("CREATE VIEW population_share") == true)
        let ledger = SchemaText.statements(of: "ledger_event")
        #expect(ledger.map { $0.split(separator: " ").prefix(3).joined(separator: " ") } == [
            "CREATE TABLE ledger_event", "CREATE INDEX ledger_event_subdistrict", "CREATE TRIGGER ledger_event_no_update",
            "CREATE TRIGGER ledger_event_no_delete",
        ])
    }

    @Test("sealing nonces are never repeated, across the buffer's refills and threads, and a value sealed twice differs")
    func noncesAreFresh() throws {
        let drawn = Mutex<[Data]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            var mine: [Data] = []
            for _ in 0..<5_000 { mine.append(Data(NonceSource.shared.next())) }
            drawn.withLock { $0 += mine }
        }
        let seen = Set(drawn.withLock { $0 })
        #expect(seen.count == 20_000)
        #expect(!seen.contains(Data(count: 12)))
        let key = RegistryKey(master: SymmetricKey(size: .bits256))
        let a = try key.seal("13800005852", label: "resident.phone", boundTo: Data([1]))
        let b = try key.seal("13800005852", label: "resident.phone", boundTo: Data([1]))
        #expect(a != b)
        #expect(try key.open(a, label: "resident.phone", boundTo: Data([1])) == "13800005852")
        #expect(try key.open(b, label: "resident.phone", boundTo: Data([1])) == "13800005852")
    }

    @Test("a registration sealed ahead on the reading thread stores what sealing on the spot stores; one sealed under another key is sealed again")
    func sealedAhead() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let stranger = try TestRegistry()   // another registry: another key
        for (sequence, sealer) in [(1, t.registry), (2, stranger.registry)] {
            let id = makeID(sequence: sequence)
            let params = try JSONParser.parse(Data(#"{"idNumber":"\#(id)","name":"甲","unitId":"U1","movedIn":"2025-03-01","phone":" 138 0000 5852 "}"#.utf8))
            let prepared = try PreparedRequest.prepare(method: "resident.register", params: params, sealingFor: sealer).get()
            _ = try t.registry.performGroup(operator: "x") { group in prepared.run(in: group) }.get()
            let person = try t.ok("resident.get", #"{"idNumber":"\#(id)","reveal":true,"purpose":"核对"}"#)
            #expect(person["idNumber"] == .string(id))
            #expect(person["phone"] == .string("138 0000 5852"))
        }
        #expect(try t.registry.check().isSound)
        // Sealed ahead under this registry's key: the stored values open under it.
        let sealedHere = try t.registry.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM resident WHERE registry_open('resident.phone', id_index, phone_cipher) = '138 0000 5852'")
        }
        #expect(sealedHere == 2)
    }

    /// The name, phone and hukou code are checked on the reading thread with the sealing;
    /// a check made for other params must never let a request through.
    @Test("checked ahead: a bad name is refused as on the spot; params changed after the check are checked again")
    func checkedAhead() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let formula = try JSONParser.parse(Data(#"{"idNumber":"\#(makeID(sequence: 1))","name":"=cmd()","unitId":"U1","movedIn":"2025-03-01"}"#.utf8))
        let prepared = try PreparedRequest.prepare(method: "resident.register", params: formula, sealingFor: t.registry).get()
        let refusal = try t.registry.performGroup(operator: "x") { group in prepared.run(in: group) }
        guard case let .failure(error) = refusal else { Issue.record("a formula name was accepted"); return }
        #expect(error.field == "name")
        #expect(error.message.contains("formula"))

        // Checked (and sealed) with a good name, then given another: the new one is checked.
        var request = RegisterResident(idNumber: try IDNumber(makeID(sequence: 2)), name: "王小明", unitId: "U1",
                                       movedIn: try #require(CivilDate("2025-03-01")))
        request.sealAhead(with: try #require(t.registry.key))
        request.name = "@SUM(A1)"
        request.phone = "not a phone"
        let outcome = try t.registry.performGroup(operator: "x") { group in group.perform(request) }
        guard case let .failure(changed) = outcome else { Issue.record("params changed after the check went unchecked"); return }
        #expect(changed.field == "name")
        #expect(t.refusal("resident.get", #"{"idNumber":"\#(makeID(sequence: 2))"}"#)?.reason.rawValue == "unknown_resident")
    }
}
