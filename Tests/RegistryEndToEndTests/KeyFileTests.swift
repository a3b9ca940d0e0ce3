import Foundation
import Testing

@Suite("The key file, end to end", .serialized)
struct KeyFileTests {
    @Test("init makes a 0600 key file beside the database, or where --key-file or REGISTRY_KEY_FILE says; without it lookups are refused, checks are not")
    func keyFile() throws {
        let b = try Binary()
        defer { b.remove() }
        let custom = b.folder + "/keys/secret.key"
        try FileManager.default.createDirectory(atPath: b.folder + "/keys", withIntermediateDirectories: true)
        let initialized = try b.run(["init", "--county", "411525", "--name", "固始县", "--key-file", custom, "--json"])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(initialized.stdout.contains(#""keyFile":"\#(custom)""#))
        #expect(try FileManager.default.attributesOfItem(atPath: custom)[.posixPermissions] as? Int == 0o600)
        #expect(!FileManager.default.fileExists(atPath: b.db + ".key"))
        let env = ["REGISTRY_KEY_FILE": custom]
        for arguments in [
            ["area", "add", "--code", "411525003", "--name", "秀水街道", "--level", "subdistrict", "--parent", "411525"],
            ["area", "add", "--code", "411525003001", "--name", "日出东方社区", "--level", "community", "--parent", "411525003"],
            ["area", "add", "--code", "411525003001001", "--name", "第一网格", "--level", "grid", "--parent", "411525003001"],
            ["unit", "add", "--unit-id", "U1", "--grid", "411525003001001", "--address", "秀水路1号", "--kind", "rental", "--discovered-on", "2025-01-01"],
            ["resident", "register", "--id-number", "341522199001010012", "--name", "王小明", "--unit-id", "U1", "--moved-in", "2025-02-01",
             "--phone", "13812345678"],
        ] {
            let run = try b.run(arguments, environment: env)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
        }
        // Found with the key given by the environment.
        let found = try b.run(["resident", "get", "--id-number", "341522199001010012", "--json"], environment: env)
        #expect(found.status == 0)
        #expect(found.stdout.contains("138****5678"))
        #expect(!found.stdout.contains("13812345678"), "a phone is masked unless revealed")
        // Without it: the lookup is refused with key_missing (exit 1); statistics and the check work.
        let refused = try b.run("resident", "get", "--id-number", "341522199001010012")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("key_missing"))
        #expect(try b.run("analysis", "demographics", "--level", "grid", "--as-of", "2025-03-01").status == 0)
        #expect(try b.run("check").status == 0)
        // The database file holds neither the number nor the phone.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: b.db)) + ((try? Data(contentsOf: URL(fileURLWithPath: b.db + "-wal"))) ?? Data())
        #expect(bytes.range(of: Data("341522199001010012".utf8)) == nil)
        #expect(bytes.range(of: Data("13812345678".utf8)) == nil)
        // A key file others may read is refused.
        chmod(custom, 0o640)
        let exposed = try b.run(["resident", "get", "--id-number", "341522199001010012"], environment: env)
        #expect(exposed.status == 1)
        #expect(exposed.stderr.contains("key_file_exposed"))
    }
}
