import Foundation
import Testing

@Suite("Named export consumers, end to end", .serialized)
struct ConsumerTests {
    /// The seqs of the events in an exported CSV file.
    func seqs(_ path: String) throws -> [Int] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\r\n").dropFirst().compactMap { Int($0.prefix { $0 != "," }) }
    }

    @Test("a weekly export with --consumer starts where the last one ended, and repeats nothing")
    func weekly() throws {
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        #expect(try b.run("unit", "add", "--unit-id", "U1", "--grid", "411525003001001", "--address", "秀水路1号", "--kind", "rental",
                          "--discovered-on", "2025-01-01").status == 0)
        let first = try b.run("ledger", "export", "--consumer", "police-weekly", "-o", "week1.csv")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("consumer police-weekly started after seq 0, now at 1"))
        #expect(try seqs(b.folder + "/week1.csv") == [1])
        #expect(try b.run("unit", "register", "--unit-id", "U1", "--date", "2025-02-01").status == 0)
        #expect(try b.run("resident", "register", "--id-number", "341522199001010012", "--name", "王小明", "--unit-id", "U1",
                          "--moved-in", "2025-02-03").status == 0)
        let second = try b.run("ledger", "export", "--consumer", "police-weekly", "-o", "week2.csv")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try seqs(b.folder + "/week2.csv") == [2, 3])
        // Nothing new: a file with the header only, and the position stays.
        let third = try b.run("ledger", "export", "--consumer", "police-weekly", "-o", "week3.csv")
        #expect(try seqs(b.folder + "/week3.csv") == [])
        #expect(third.stderr.contains("now at 3"))
        // Another consumer starts from the beginning; --after with --consumer is a usage error.
        #expect(try b.run("ledger", "export", "--consumer", "audit-office", "-o", "all.csv").status == 0)
        #expect(try seqs(b.folder + "/all.csv") == [1, 2, 3])
        #expect(try b.run("ledger", "export", "--consumer", "x", "--after", "2").status == 64)
        // Each export is audited, the refused one not.
        let audit = try #require(try json(try b.run("audit", "list", "--json").stdout) as? [String: Any])
        let entries = try #require(audit["entries"] as? [[String: Any]])
        #expect(entries.filter { $0["action"] as? String == "export" }.map { $0["count"] as? Int } == [1, 2, 0, 3])
    }
}
