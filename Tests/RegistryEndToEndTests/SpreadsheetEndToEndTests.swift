import Foundation
import Testing

/// The spreadsheet commands through the built binary, as a liaison and a clerk run them.
@Suite("Spreadsheets through the binary")
struct SpreadsheetEndToEndTests {
    @Test("--format xlsx writes a workbook for export, roster and diff; without -o it is a usage error; audited as any export")
    func exports() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        try b.run("unit", "add", "--grid", "411525003001001", "--address", "秀水路1号", "--kind", "rental", "--discovered-on", "2025-01-01", "--unit-id", "U1")
        try b.run("resident", "register", "--id-number", "341522199001010012", "--name", "王小明", "--unit-id", "U1", "--moved-in", "2025-02-01")
        for (arguments, file) in [(["ledger", "export", "--reveal", "--purpose", "周报核对"], "ledger.xlsx"),
                                  (["ledger", "roster", "--as-of", "2025-06-30"], "roster.xlsx"),
                                  (["ledger", "diff", "--from", "2025-01-15", "--to", "2025-06-30"], "diff.xlsx")] {
            let run = try b.run(arguments + ["--format", "xlsx", "-o", b.folder + "/" + file])
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: b.folder + "/" + file))
            #expect(Array(bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04], "\(file) is a zip container")
            let attributes = try FileManager.default.attributesOfItem(atPath: b.folder + "/" + file)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
        let usage = try b.run("ledger", "export", "--format", "xlsx")
        #expect(usage.status == 64 && usage.stderr.contains("-o FILE"))
        let audit = try b.run("audit", "list", "--json")
        let entries = try #require((try json(audit.stdout) as? [String: Any])?["entries"] as? [[String: Any]])
        #expect(entries.contains { $0["purpose"] as? String == "周报核对" && $0["count"] as? Int == 2 })
        // No workbook or sheet file is left in the temporary folder.
        let temporary = b.folder + "/tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        #expect(try b.run(["ledger", "export", "--format", "xlsx", "-o", b.folder + "/again.xlsx"], environment: ["TMPDIR": temporary]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
    }

    @Test("import --dry-run reports every bad row and writes nothing; exit 0 for a good file, 1 for a bad one")
    func dryRun() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        let file = b.folder + "/areas.csv"
        try "代码,名称,层级,上级代码\n411525003002,状元社区,community,411525003\n411525003003,,community,411525003\n4115250030 04,x,town,411525003\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try b.run("import", "areas", file, "--dry-run")
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("dry run") && bad.stderr.contains("nothing was written"))
        #expect(bad.stderr.contains("line 3, column 名称") && bad.stderr.contains("line 4, column 层级"))
        try "code,name,level,parent\n411525003002,状元社区,community,411525003\n".write(toFile: file, atomically: true, encoding: .utf8)
        let good = try b.run("import", "areas", file, "--dry-run", "--json")
        #expect(good.status == 0 && good.stdout.contains("\"dryRun\":true"))
        #expect(try b.run("area", "list", "--parent", "411525003", "--json").stdout.contains("411525003002") == false)
        #expect(try b.run("import", "areas", file).status == 0)
        #expect(try b.run("area", "list", "--parent", "411525003", "--json").stdout.contains("411525003002"))
    }
}
