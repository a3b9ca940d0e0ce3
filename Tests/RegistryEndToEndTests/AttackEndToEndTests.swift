import Foundation
import Testing

/// The privacy review's attacks from outside the program: a shell user piping, aiming
/// output files, feeding hostile flags and files. Each runs the built binary.
@Suite("Attacks through the command line", .serialized)
struct AttackEndToEndTests {
    /// A registry with a rental and two people.
    func populated() throws -> Binary {
        let b = try Binary()
        try b.setUp()
        #expect(try b.run("unit", "add", "--unit-id", "U1", "--grid", "411525003001001", "--address", "秀水路1号", "--kind", "rental",
                          "--discovered-on", "2025-01-01").status == 0)
        for (id, name) in [("341522199001010012", "王小明"), ("420102197306150035", "陈刚")] {
            #expect(try b.run("resident", "register", "--id-number", id, "--name", name, "--unit-id", "U1", "--moved-in", "2025-02-01",
                              "--phone", "13800005852").status == 0)
        }
        return b
    }

    func auditActions(_ b: Binary) throws -> [(String, Int)] {
        let listed = try b.run("audit", "list", "--json")
        let entries = (try json(listed.stdout) as? [String: Any])?["entries"] as? [[String: Any]] ?? []
        return entries.map { ($0["action"] as? String ?? "", $0["count"] as? Int ?? -1) }
    }

    @Test("2. a revealed roster cut short by `head` is on record, with the number of records selected")
    func revealThroughHead() throws {
        let b = try populated()
        defer { b.remove() }
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "'\(Binary.url.path)' ledger roster --as-of 2025-03-01 --all --reveal --purpose 核对 | head -n 2 > '\(b.folder)/head.csv'"]
        shell.environment = ["REGISTRY_DB": b.db, "PATH": "/usr/bin:/bin"]
        try shell.run()
        shell.waitUntilExit()
        let shown = try String(contentsOfFile: b.folder + "/head.csv", encoding: .utf8)
        #expect(shown.contains("341522199001010012"), "the reveal did show a number")
        let actions = try auditActions(b)
        #expect(actions.first?.0 == "export")
        #expect(actions.first?.1 == 2)
    }

    @Test("3. -o refuses devices and links, - is standard output, and nothing is left beside the file")
    func outputTargets() throws {
        let b = try populated()
        defer { b.remove() }
        let device = try b.run("ledger", "export", "-o", "/dev/stdout")
        #expect(device.status == 1)
        #expect(device.stderr.contains("unsafe_output"))
        try "keep".write(toFile: b.folder + "/victim", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: b.folder + "/link.csv", withDestinationPath: b.folder + "/victim")
        #expect(try b.run("ledger", "export", "-o", b.folder + "/link.csv").status == 1)
        #expect(try String(contentsOfFile: b.folder + "/victim", encoding: .utf8) == "keep")
        let dash = try b.run("ledger", "export", "-o", "-")
        #expect(dash.status == 0)
        #expect(dash.stdout.contains("seq,type,date"))
        #expect(try b.run("ledger", "export", "-o", b.folder + "/week.csv").status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: b.folder + "/week.csv")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.folder).filter { $0.hasPrefix(".week") }.isEmpty)
    }

    @Test("7, 8. a hostile operator is a usage error; a formula-like operator is defused in the CSV")
    func operators() throws {
        let b = try populated()
        defer { b.remove() }
        for bad in ["clerk\u{1B}[2J", "clerk\nforged", String(repeating: "o", count: 100_000), "clerk\u{202E}x"] {
            let run = try b.run(["ledger", "events", "--operator", bad])
            #expect(run.status == 64, "operator \(bad.prefix(20)) was taken")
        }
        let env = try b.run(["audit", "list"], environment: ["REGISTRY_OPERATOR": "a\u{1B}b"])
        #expect(env.status == 64)
        let purpose = try b.run("resident", "get", "--id-number", "341522199001010012", "--reveal", "--purpose", String(repeating: "因", count: 5000))
        #expect(purpose.status == 1)
        #expect(purpose.stderr.contains("purpose"))
        #expect(try b.run(["unit", "add", "--grid", "411525003001001", "--address", "秀水路2号", "--kind", "rental",
                           "--discovered-on", "2025-01-01", "--operator", "@SUM(1+1)"]).status == 0)
        let export = try b.run("ledger", "export")
        #expect(export.stdout.contains(",'@SUM(1+1),"))
        #expect(!export.stdout.contains(",@SUM"))
        let name = try b.run("resident", "register", "--id-number", "11010519491231002X", "--name", "=HYPERLINK(\"x\")",
                             "--unit-id", "U1", "--moved-in", "2025-02-01")
        #expect(name.status == 1)
    }

    @Test("9. a consumer is bound to its area, and date filters do not go with it")
    func consumerArea() throws {
        let b = try populated()
        defer { b.remove() }
        #expect(try b.run("ledger", "export", "--consumer", "p2", "--area", "411525003", "-o", b.folder + "/a.csv").status == 0)
        let other = try b.run("ledger", "export", "--consumer", "p2", "-o", b.folder + "/b.csv")
        #expect(other.status == 1)
        #expect(other.stderr.contains("consumer_area_mismatch"))
        #expect(try b.run("ledger", "export", "--consumer", "p3", "--to", "2025-02-01").status == 64)
    }

    @Test("5. a GB18030 import writes no converted copy to the temporary folder")
    func gb18030NoTemporaryCopy() throws {
        let b = try populated()
        defer { b.remove() }
        let text = "id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\n11010519491231002X,张伟,13912345678,,U1,2025-03-01,\n"
        let converter = Process()
        converter.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        converter.arguments = ["-f", "UTF-8", "-t", "GB18030"]
        let input = Pipe(), output = Pipe()
        converter.standardInput = input
        converter.standardOutput = output
        try converter.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        converter.waitUntilExit()
        #expect(String(data: bytes, encoding: .utf8) == nil, "the file is not UTF-8")
        try bytes.write(to: URL(fileURLWithPath: b.folder + "/gb.csv"))
        let temporary = b.folder + "/tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        let run = try b.run(["import", "residents", b.folder + "/gb.csv"], environment: ["TMPDIR": temporary])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
        let found = try b.run("resident", "find", "--name", "张伟", "--json")
        #expect(found.stdout.contains("110105********002X"))
    }

    @Test("11. backups are audited; check prints the head and --expect-head finds a cut")
    func backupAndHead() throws {
        let b = try populated()
        defer { b.remove() }
        #expect(try b.run("backup", b.folder + "/copy.sqlite").status == 0)
        #expect(try auditActions(b).map(\.0) == ["backup"])
        let check = try b.run("check", "--json")
        let ledger = (try json(check.stdout) as? [String: Any])?["ledger"] as? [String: Any]
        let head = try #require(ledger?["head"] as? String)
        #expect(try b.run("check", "--expect-head", head).status == 0)
        #expect(try b.run("check", "--expect-head", "3:" + String(repeating: "0", count: 64)).status == 1)
        #expect(try b.run("check", "--expect-head", "nonsense").status == 64)
    }
}
