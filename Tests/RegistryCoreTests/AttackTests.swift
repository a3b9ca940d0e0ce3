import Foundation
import GRDB
import Testing
@testable import RegistryCore

/// The attacks of the privacy review, each performed against the core; each fails without
/// its defence. (Attacks from outside the program run the binary: AttackEndToEndTests.)
@Suite("Attacks on personal data and integrity")
struct AttackTests {
    static let phone = "13800005852"

    /// Three people in a rental, one with a phone; a landlord with a phone.
    func registry() throws -> (TestRegistry, [String]) {
        let t = try TestRegistry()
        try t.addAreas()
        try t.ok("unit.add", #"{"unitId":"U1","grid":"411525003001001","address":"秀水路1号","kind":"rental","discoveredOn":"2025-01-01","landlord":{"name":"李建国","idNumber":"11010519491231002X","phone":"13912345678"}}"#)
        let ids = [makeID(prefix: "341522", birth: "19730615", sequence: 1), makeID(prefix: "411525", birth: "19881231", sequence: 2),
                   makeID(prefix: "420102", birth: "20000229", sequence: 3)]
        try t.moveIn(ids[0], "U1", on: "2025-02-01", name: "王一", extra: #","phone":"\#(Self.phone)""#)
        try t.moveIn(ids[1], "U1", on: "2025-02-02", name: "王二", extra: #","phone":"13700001111""#)
        try t.moveIn(ids[2], "U1", on: "2025-02-03", name: "王三")
        return (t, ids)
    }

    /// Every full ID number a list of JSON results lets one rebuild: the masked number's
    /// first 6 and last 4 characters with a full birth date shown beside it.
    func rebuilt(_ items: [JSONValue]) -> Set<String> {
        Set(items.compactMap { item in
            guard let masked = item["idNumber"]?.stringValue, let birth = item["birthDate"]?.stringValue,
                  masked.count == 18, birth.count == 10, !birth.contains("*") else { return nil }
            return String(masked.prefix(6)) + birth.replacingOccurrences(of: "-", with: "") + String(masked.suffix(4))
        })
    }

    @Test("1. a masked number and the birth date beside it no longer rebuild the number, anywhere")
    func maskingRebuild() throws {
        let (t, ids) = try registry()
        var items = try t.ok("resident.find")["residents"]!.arrayValue!
        items += try ids.map { try t.ok("resident.get", #"{"idNumber":"\#($0)"}"#) }
        items += try t.ok("ledger.roster", #"{"asOf":"2025-03-01","migrantOnly":false}"#)["residents"]!.arrayValue!
        items += try t.ok("ledger.events")["events"]!.arrayValue!
        #expect(items.count > 9)
        #expect(rebuilt(items).isEmpty, "full numbers rebuilt: \(rebuilt(items))")
        #expect(items.allSatisfy { $0["birthDate"]?.stringValue.map { $0.hasSuffix("-**-**") } ?? true })
        // Revealed, they are whole (and audited).
        let revealed = try t.ok("resident.get", #"{"idNumber":"\#(ids[0])","reveal":true,"purpose":"核对"}"#)
        #expect(revealed["birthDate"] == .string("1973-06-15"))
        #expect(revealed["phone"] == .string(Self.phone))
    }

    @Test("1. the database stores no masked form of a number, not even its last four characters")
    func noStoredMaskedForm() throws {
        let (t, ids) = try registry()
        try t.registry.checkpoint()
        let columns = try t.registry.read { db in
            try String.fetchAll(db, sql: "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'")
        }
        #expect(!columns.contains { $0.contains("masked") }, "\(columns)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: t.path))
        #expect(bytes.range(of: Data("********".utf8)) == nil)
        // Every text the tables hold (hash links and MACs aside, whose hex digits hold any
        // four digits by chance), against each number's last four characters.
        let texts = try t.registry.read { db in
            var texts: [String] = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) WHERE name NOT IN ('hash', 'mac')", arguments: [table])
                for row in try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table)") {
                    for value in row.databaseValues { if case let .string(text) = value.storage { texts.append(text) } }
                }
            }
            return texts
        }
        #expect(texts.count > 50)
        let codesAndDates = texts.filter { $0.allSatisfy { $0.isNumber || $0 == "-" } }
        for id in ids + ["11010519491231002X"] {
            #expect(bytes.range(of: Data(IDNumber.mask(id).utf8)) == nil)
            let suffix = String(id.suffix(4))
            // A code or a date may hold the same four digits by chance; nothing else may.
            let holding = texts.filter { $0.contains(suffix) && !codesAndDates.contains($0) }
            #expect(holding.isEmpty, "\(suffix) of \(id) stored in the clear: \(holding)")
        }
        for phone in [Self.phone, "13700001111", "13912345678"] {
            #expect(bytes.range(of: Data(phone.utf8)) == nil)
        }
        // A phone's last four digits, like an ID number's, against the texts: the file's
        // bytes hold the hex of hash links and MACs, in which any four digits turn up by
        // chance (a run of the full suite found "5852" in the file: not the phone, which no text held).
        #expect(texts.filter { $0.contains("5852") && !codesAndDates.contains($0) }.isEmpty)
    }

    @Test("6. a phone is masked in resident.get and unit lists unless revealed, and a reveal names the person in the audit trail")
    func phoneMasked() throws {
        let (t, ids) = try registry()
        let person = try t.ok("resident.get", #"{"idNumber":"\#(ids[0])"}"#)
        #expect(person["phone"] == .string("138****5852"))
        #expect(Disclosure.maskPhone("1234567") == "*******")
        #expect(try t.ok("audit.list")["entries"]!.arrayValue!.isEmpty, "a masked lookup is not a reveal")
        _ = try t.ok("resident.get", #"{"idNumber":"\#(ids[0])","reveal":true,"purpose":"派出所核查"}"#)
        let named = try t.registry.read { db in
            try Row.fetchOne(db, sql: "SELECT a.action, a.count, r.name FROM audit_entry a JOIN resident r ON r.id = a.resident")
        }
        #expect(named?[0] == "reveal")
        #expect(named?[2] == "王一")
    }

    @Test("4. audit rows edited and the chain recomputed with plain SHA-256 (no key) are found")
    func recomputedChain() throws {
        let (t, ids) = try registry()
        _ = try t.ok("resident.get", #"{"idNumber":"\#(ids[0])","reveal":true,"purpose":"核对"}"#)
        _ = try t.ok("resident.get", #"{"idNumber":"\#(ids[1])","reveal":true,"purpose":"核对"}"#)
        #expect(try t.registry.check().isSound)
        try t.registry.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER audit_entry_no_update; DROP TRIGGER audit_entry_no_delete")
            try db.execute(sql: "UPDATE audit_entry SET operator = 'someone-else' WHERE seq = 1")
            // The attacker's script: the old, plain chain, computed again over the edit.
            try HashChain.relink(db, HashChain.Table(name: "audit_entry", columns: HashChain.audit.columns,
                                                     integerColumns: HashChain.audit.integerColumns, keyed: false), key: nil)
        }
        let report = try t.registry.check()
        #expect(!report.isSound)
        #expect(report.audit.firstBroken == 1)
    }

    @Test("4. the newest events cut off: the chain is whole, but a head kept outside is gone")
    func truncation() throws {
        let (t, _) = try registry()
        let before = try t.registry.check()
        let head = try #require(before.ledger.head)
        #expect(try t.registry.check(expectedHead: ChainHead("\(head.seq):\(head.hash)")).expectedHeadFound == true)
        try t.registry.pool.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER ledger_event_no_delete")
            try db.execute(sql: "DELETE FROM ledger_event WHERE seq = ?", arguments: [head.seq])
        }
        let after = try t.registry.check(expectedHead: ChainHead("\(head.seq):\(head.hash)"))
        #expect(after.ledger.firstBroken == nil, "a cut at the end leaves a whole chain")
        #expect(after.expectedHeadFound == false)
        #expect(!after.isSound)
    }

    @Test("4. two residents' sealed numbers or phones swapped: they no longer open, and nothing shows one person's phone as another's")
    func swappedCiphers() throws {
        for column in ["id_cipher", "phone_cipher"] {
            let (t, ids) = try registry()
            try t.registry.pool.writeWithoutTransaction { db in
                try db.execute(sql: """
                    UPDATE resident SET \(column) = (SELECT \(column) FROM resident WHERE id = 2) WHERE id = 1;
                    """)
            }
            do {
                let shown = try t.ok("resident.get", #"{"idNumber":"\#(ids[0])","reveal":true,"purpose":"核对"}"#)
                if column == "id_cipher" {
                    // The lookup goes by the blind index; the reveal of a list opens the number.
                    _ = try t.ok("ledger.events")
                }
                Issue.record("\(column) swapped and still shown: \(shown)")
            } catch let error as RegistryError {
                #expect(error.reason.rawValue == "sealed_value_altered")
            }
        }
    }

    @Test("4. a residence, a profile or a unit changed behind the registry's back disagrees with the ledger")
    func stateAgainstLedger() throws {
        for edit in [
            "UPDATE residence SET moved_out = '2025-02-10' WHERE id = 1",
            "DELETE FROM residence WHERE id = 3",
            "UPDATE resident SET hukou_code = '411525' WHERE id = 1",
            "UPDATE unit SET registered_on = '2025-01-02'",
        ] {
            let (t, _) = try registry()
            try t.registry.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: edit)
                try db.execute(sql: "PRAGMA foreign_keys = ON")
            }
            let report = try t.registry.check()
            #expect(!(report.ledgerMismatches ?? []).isEmpty, "\(edit) went unnoticed")
            #expect(!report.isSound)
        }
    }

    @Test("4, 9. a consumer's position moved behind the registry's back is found; a consumer is bound to its area")
    func consumers() throws {
        let (t, _) = try registry()
        let export = try Export(format: .csv, reveal: false, purpose: nil)
        let first = try export.ledger(t.registry, area: "411525003", from: nil, to: nil, after: nil, consumer: "p2",
                                      to: OutputSink.file(t.folder + "/a.csv"), operator: "x")
        #expect(first.count == 4)
        // The same consumer without the area (or with another) would pass events it never got.
        #expect(throws: RegistryError.self) {
            try export.ledger(t.registry, area: nil, from: nil, to: nil, after: nil, consumer: "p2", to: OutputSink.file(t.folder + "/b.csv"), operator: "x")
        }
        #expect(throws: RegistryError.self) {
            try export.ledger(t.registry, area: "411525003", from: nil, to: CivilDate("2025-02-01"), after: nil, consumer: "p2",
                              to: OutputSink.file(t.folder + "/c.csv"), operator: "x")
        }
        try t.registry.pool.writeWithoutTransaction { try $0.execute(sql: "UPDATE export_consumer SET last_seq = 999") }
        #expect(try t.registry.check().alteredConsumers == ["p2"])
        do {
            _ = try export.ledger(t.registry, area: "411525003", from: nil, to: nil, after: nil, consumer: "p2",
                                  to: OutputSink.file(t.folder + "/d.csv"), operator: "x")
            Issue.record("exported from a forged position")
        } catch let error as RegistryError {
            #expect(error.reason.rawValue == "consumer_altered")
        }
    }

    /// A destination that fails after its first block: a full disk, a closed pipe.
    final class FailingDestination: ExportDestination {
        var received = 0
        func write(_ bytes: UnsafeRawBufferPointer) throws(RegistryError) {
            received += bytes.count
            throw RegistryError.storage("no space left on device")
        }
        func finish() throws(RegistryError) {}
        func abandon() {}
    }

    @Test("2, 11. a revealed export's entry is committed before any record leaves, and a failed export says it failed")
    func auditFirst() throws {
        let (t, ids) = try registry()
        final class Watching: ExportDestination {
            let registry: Registry
            var entriesAtFirstWrite: [JSONValue]?
            init(_ registry: Registry) { self.registry = registry }
            func write(_ bytes: UnsafeRawBufferPointer) throws(RegistryError) {
                if entriesAtFirstWrite == nil {
                    entriesAtFirstWrite = try registry.perform(method: "audit.list", params: .object([]), operator: "auditor")["entries"]?.arrayValue
                }
            }
            func finish() throws(RegistryError) {}
            func abandon() {}
        }
        let watching = Watching(t.registry)
        let export = try Export(format: .csv, reveal: true, purpose: "周报")
        _ = try export.roster(t.registry, asOf: CivilDate("2025-03-01")!, area: nil, migrantOnly: false, to: OutputSink(watching), operator: "liaison")
        let seen = try #require(watching.entriesAtFirstWrite)
        #expect(seen.count == 1)
        #expect(seen.first?["action"] == .string("export"))
        #expect(seen.first?["count"] == .int(3), "the count is the number of records selected")
        _ = ids
        // A failing output: the export entry stands, and export_failed follows it.
        let failing = FailingDestination()
        #expect(throws: RegistryError.self) {
            try export.ledger(t.registry, area: nil, from: nil, to: nil, after: nil, to: OutputSink(failing), operator: "liaison")
        }
        let entries = try t.ok("audit.list")["entries"]!.arrayValue!
        #expect(entries.map { $0["action"]!.stringValue! } == ["export", "export", "export_failed"])
        #expect(entries[1]["count"] == .int(4), "a unit_added and three move_in events were selected")
    }

    @Test("3. an export never writes through a link or to a device, and its temporary file is private")
    func outputFiles() throws {
        let (t, _) = try registry()
        let victim = t.folder + "/victim.txt"
        try "precious".write(toFile: victim, atomically: true, encoding: .utf8)
        let link = t.folder + "/week.csv"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        do {
            _ = try OutputSink.file(link)
            Issue.record("wrote through a symbolic link")
        } catch {
            #expect(error.reason.rawValue == "unsafe_output")
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        #expect(throws: RegistryError.self) { try OutputSink.file("/dev/null") }
        #expect(throws: RegistryError.self) { try OutputSink.file(t.folder) }
        // While it is written, the temporary file is 0600 with a name nobody could guess.
        let sink = try OutputSink.file(t.folder + "/out.csv")
        try sink.write("x")
        let temporaries = try FileManager.default.contentsOfDirectory(atPath: t.folder).filter { $0.hasPrefix(".out.csv.") }
        #expect(temporaries.count == 1)
        #expect(!temporaries[0].contains(String(getpid())))
        #expect(try FileManager.default.attributesOfItem(atPath: t.folder + "/" + temporaries[0])[.posixPermissions] as? Int == 0o600)
        sink.abandon()
        #expect(try FileManager.default.contentsOfDirectory(atPath: t.folder).filter { $0.hasPrefix(".out.csv.") }.isEmpty)
    }

    @Test("7. names and addresses that a spreadsheet would run are refused; CSV cells that would run are defused")
    func formulaInjection() throws {
        let (t, _) = try registry()
        for name in ["=HYPERLINK(\\\"http://x\\\",\\\"点我\\\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"] {
            let refusal = t.refusal("resident.register", #"{"idNumber":"\#(makeID(sequence: 77))","name":"\#(name)","unitId":"U1","movedIn":"2025-03-01"}"#)
            #expect(refusal?.field == "name", "\(name) accepted")
        }
        #expect(t.refusal("unit.add", #"{"grid":"411525003001001","address":"=1+1","kind":"rental","discoveredOn":"2025-01-01"}"#)?.field == "address")
        for (cell, shown) in [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("a=b", "a=b"), ("=a,b", "\"'=a,b\"")] {
            var out = ""
            CSVText.appendField(cell, to: &out)
            #expect(out == shown)
        }
    }

    @Test("8, 11. operator and purpose follow the text rules; names refuse bidirectional overrides")
    func textRules() throws {
        let (t, ids) = try registry()
        for bad in ["clerk\u{1B}[2J", "clerk\nforged row", String(repeating: "o", count: 65), "clerk\u{202E}nehc"] {
            #expect(throws: RegistryError.self) { try TextRules.operatorName(bad) }
        }
        #expect(try TextRules.operatorName("  clerk-chen ") == "clerk-chen")
        #expect(t.refusal("resident.get", #"{"idNumber":"\#(ids[0])","reveal":true,"purpose":"\#(String(repeating: "因", count: 201))"}"#)?.field == "purpose")
        #expect(t.refusal("resident.get", #"{"idNumber":"\#(ids[0])","reveal":true,"purpose":"核对\u001b[2J"}"#)?.field == "purpose")
        #expect(t.refusal("resident.register", #"{"idNumber":"\#(makeID(sequence: 78))","name":"王\u202E明","unitId":"U1","movedIn":"2025-03-01"}"#)?.field == "name")
        // Error messages neither echo a phone nor give away the right check character.
        let phone = t.refusal("resident.register", #"{"idNumber":"\#(makeID(sequence: 79))","name":"王","unitId":"U1","movedIn":"2025-03-01","phone":"138000058x2"}"#)
        #expect(phone?.field == "phone")
        #expect(phone.map { !$0.message.contains("138000058x2") } == true)
        let right = ids[0]
        let wrongCheck = String(right.prefix(17)) + (right.last == "9" ? "8" : "9")
        let check = t.refusal("resident.get", #"{"idNumber":"\#(wrongCheck)"}"#)
        #expect(check?.reason.rawValue == "invalid_id_number")
        #expect(check.map { !$0.message.contains("give \(right.last!)") && !$0.message.contains(right) } == true)
    }

    @Test("10. a database whose key check was removed refuses every key; another registry's key is refused")
    func keyCheckRemoved() throws {
        let (t, _) = try registry()
        let other = try TestRegistry()
        let path = t.path
        try t.registry.pool.writeWithoutTransaction { db in
            try db.execute(sql: """
                PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON;
                ALTER TABLE registry RENAME TO registry_old;
                CREATE TABLE registry (id INTEGER PRIMARY KEY, county_code TEXT, county_name TEXT, migrant_scope TEXT, created_at TEXT, key_check TEXT);
                INSERT INTO registry SELECT id, county_code, county_name, migrant_scope, created_at, NULL FROM registry_old;
                DROP TABLE registry_old;
                """)
        }
        for keyFile in [other.registry.keyFile, t.registry.keyFile] {
            do {
                _ = try Registry.open(path: path, keyFile: keyFile)
                Issue.record("opened with no key check")
            } catch {
                #expect(error.reason.rawValue == "key_check_missing")
            }
        }
    }

    @Test("10. a key file owned by another account is refused, before init uses it")
    func foreignKeyFile() throws {
        let folder = NSTemporaryDirectory() + "registry-foreign-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/registry.sqlite"
        _ = try RegistryKey.create(path: path + ".key")
        guard geteuid() == 0 else { return } // only root can give a file to another account
        #expect(chown(path + ".key", 4242, 4242) == 0)
        do {
            _ = try Registry.initialize(path: path, settings: RegistrySettings(countyCode: "411525", countyName: "固始县", migrantScope: .county))
            Issue.record("initialized with a planted key")
        } catch {
            #expect(error.reason.rawValue == "key_file_foreign")
        }
    }

    @Test("11. an export's sort holds only sealed values: no statement opens a number in SQL")
    func sortsHoldNoClearNumbers() {
        let (ledger, _) = LedgerQuery().sql()
        let (roster, _) = RosterQuery(asOf: CivilDate("2025-01-01")!, area: nil, migrantOnly: false).sql(settings: RegistrySettings(countyCode: "411525", countyName: "x", migrantScope: .county))
        for sql in [ledger, roster] {
            #expect(!sql.contains("registry_open"))
            #expect(sql.contains("id_cipher"))
        }
    }

    @Test("11. a backup is recorded in the audit trail")
    func backupAudited() throws {
        let (t, _) = try registry()
        try t.registry.backup(to: t.folder + "/copy.sqlite", operator: "admin")
        let entries = try t.ok("audit.list")["entries"]!.arrayValue!
        #expect(entries.map { $0["action"]!.stringValue! } == ["backup"])
        #expect(entries[0]["operator"] == .string("admin"))
        // A dangling link where the backup should go is refused, not followed.
        try FileManager.default.createSymbolicLink(atPath: t.folder + "/dangling.sqlite", withDestinationPath: t.folder + "/elsewhere.sqlite")
        #expect(throws: RegistryError.self) { try t.registry.backup(to: t.folder + "/dangling.sqlite", operator: "admin") }
        #expect(!FileManager.default.fileExists(atPath: t.folder + "/elsewhere.sqlite"))
    }
}
