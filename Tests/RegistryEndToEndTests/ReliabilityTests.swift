import Foundation
import GRDB
import RegistryCore
import Testing

/// Registration requests for `count` people moving into `unit`, ids from `firstId`.
func registrations(unit: String, count: Int, firstId: Int, birthYear: Int) -> [String] {
    (0..<count).map { i in
        let body = "341522\(birthYear)0101" + String(format: "%03d", i)
        let id = body + String(checkCharacter(body))
        return #"{"jsonrpc":"2.0","id":\#(firstId + i),"method":"resident.register","params":{"idNumber":"\#(id)","name":"人\#(i)","unitId":"\#(unit)","movedIn":"2025-02-01"}}"#
    }
}

/// Adds `count` rental units U0…U(count-1) to grid 411525003001001 through the binary.
func addUnits(_ b: Binary, count: Int) throws {
    let lines = (0..<count).map { i in
        #"{"jsonrpc":"2.0","id":\#(i),"method":"unit.add","params":{"unitId":"U\#(i)","grid":"411525003001001","address":"秀水路\#(i)号","kind":"rental","discoveredOn":"2025-01-01"}}"#
    }
    let run = try b.run(["serve", "--stdio"], stdin: lines.joined(separator: "\n") + "\n")
    #expect(run.stdout.components(separatedBy: #""result""#).count - 1 == count)
}

/// A running `registry` child process fed through a pipe, its output lines collected as
/// they arrive.
final class LiveProcess: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var lines: [String] = []

    init(_ arguments: [String], db: String) throws {
        process.executableURL = Binary.url
        process.arguments = arguments + ["--db", db]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.detachNewThread { [self] in readLines() }
    }

    private func readLines() {
        let handle = output.fileHandleForReading
        var buffer = Data()
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                lock.lock()
                lines.append(line)
                lock.unlock()
            }
        }
    }

    /// Sends text; after the process died, quietly does nothing (a broken pipe).
    func send(_ text: String) { try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8)) }
    func closeInput() { try? input.fileHandleForWriting.close() }

    var received: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    func wait() { process.waitUntilExit() }
}

@Suite("Concurrency and crash safety, end to end", .serialized)
struct ReliabilityTests {
    /// A generated county (20,000 residents unless said) with its areas and, unless told
    /// otherwise, its units imported; returns the folder of its files (`residents.csv` not
    /// imported yet).
    func generatedCounty(_ b: Binary, residents: Int = 20000, units: Bool = true) throws -> String {
        #expect(try b.run("init", "--county", "411525", "--name", "固始县").status == 0)
        let out = b.folder + "/gen"
        #expect(try b.run(["generate", "--residents", String(residents), "--seed", "9", "--out", out]).status == 0)
        #expect(try b.run(["import", "areas", out + "/areas.csv"]).status == 0)
        if units { #expect(try b.run(["import", "units", out + "/units.csv"]).status == 0) }
        return out
    }

    /// `registry import KIND file` started in the background, to be killed.
    func startImport(_ b: Binary, _ file: String, kind: String = "residents") throws -> Process {
        let process = Process()
        process.executableURL = Binary.url
        process.arguments = ["import", kind, file, "--db", b.db]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test("four processes register at once while a fifth exports: nothing fails, nothing is lost")
    func concurrentWriters() throws {
        signal(SIGPIPE, SIG_IGN)
        let b = try Binary()
        defer { b.remove() }
        try b.setUp()
        try addUnits(b, count: 4)
        let perWriter = 400
        let writers = try (0..<4).map { w in
            let process = try LiveProcess(["serve", "--stdio", "--operator", "writer-\(w)"], db: b.db)
            // Each writer sends its requests in small pieces, so that their transactions interleave.
            let lines = registrations(unit: "U\(w)", count: perWriter, firstId: 1, birthYear: 1980 + w)
            Thread.detachNewThread {
                for start in stride(from: 0, to: lines.count, by: 20) {
                    process.send(lines[start..<min(start + 20, lines.count)].joined(separator: "\n") + "\n")
                    usleep(2_000)
                }
                process.closeInput()
            }
            return process
        }
        var exports: [Binary.Run] = []
        for _ in 0..<3 {
            exports.append(try b.run(["ledger", "export", "--format", "ndjson"]))
        }
        writers.forEach { $0.wait() }
        for (w, writer) in writers.enumerated() {
            let answers = writer.received
            #expect(answers.count == perWriter, "writer \(w)")
            #expect(answers.allSatisfy { $0.contains(#""result""#) }, "writer \(w): \(answers.first { !$0.contains(#""result""#) } ?? "")")
        }
        // Each export is a consistent snapshot: seq runs 1…n without a gap.
        for export in exports {
            #expect(export.status == 0)
            let seqs = export.stdout.split(separator: "\n").compactMap { line -> Int? in
                guard let range = line.range(of: #""seq":"#) else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            #expect(seqs == Array(1...max(1, seqs.count)).prefix(seqs.count).map { $0 })
        }
        let people = try b.run("resident", "find", "--limit", "1000", "--area", "411525", "--json").stdout
        #expect(people.components(separatedBy: #""idNumber""#).count - 1 == 1000)
        let check = try b.run("check", "--json")
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test("killed mid-stream, the server loses no answered request and leaves a sound database")
    func killedServer() throws {
        signal(SIGPIPE, SIG_IGN)
        for trial in 0..<3 {
            let b = try Binary()
            defer { b.remove() }
            try b.setUp()
            try addUnits(b, count: 1)
            let server = try LiveProcess(["serve", "--stdio"], db: b.db)
            let lines = registrations(unit: "U0", count: 1000, firstId: 1, birthYear: 1990)
            // Requests keep coming in small pieces; the server is killed once some are answered.
            Thread.detachNewThread {
                for start in stride(from: 0, to: lines.count, by: 10) {
                    server.send(lines[start..<min(start + 10, lines.count)].joined(separator: "\n") + "\n")
                    usleep(1_000)
                }
            }
            let deadline = Date().addingTimeInterval(10)
            while server.received.count < 50 + trial * 150 && Date() < deadline { usleep(1_000) }
            kill(server.process.processIdentifier, SIGKILL)
            server.wait()
            // Every request answered with a result must be on disk.
            let answeredIds = server.received.filter { $0.contains(#""result""#) }.compactMap { line -> Int? in
                guard let range = line.range(of: #""id":"#) else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            }
            #expect(!answeredIds.isEmpty)
            let numbers = answeredIds.map { id -> String in
                let body = "3415221990" + "0101" + String(format: "%03d", id - 1)
                return body + String(checkCharacter(body))
            }
            let registry = try Registry.open(path: b.db)
            let stored = try registry.read { db in
                try Set(String.fetchAll(db, sql: "SELECT registry_open('resident.id_number', id_index, id_cipher) FROM resident"))
            }
            #expect(numbers.allSatisfy(stored.contains), "trial \(trial): \(numbers.count) answered, \(stored.count) stored")
            let check = try b.run("check", "--json")
            #expect(check.status == 0, "trial \(trial): \(check.stdout)")
        }
    }

    @Test("killed mid-import, the import is all or nothing")
    func killedImport() throws {
        let b = try Binary()
        defer { b.remove() }
        let out = try generatedCounty(b)
        for delay in [200_000, 600_000] {
            let process = try startImport(b, out + "/residents.csv")
            usleep(useconds_t(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let people = try b.run("resident", "find", "--limit", "1", "--json").stdout
            let imported = people.contains(#""idNumber""#)
            if imported {
                // The whole file made it: all 20,000 people are there.
                let last = try b.run("resident", "find", "--limit", "1000", "--after", "19000", "--json").stdout
                #expect(last.components(separatedBy: #""idNumber""#).count - 1 == 1000)
                break
            }
            #expect(try b.run("check").status == 0)
        }
    }

    @Test("killed in a first load written through the rollback journal, the database comes back empty of residents, sound, and in WAL mode")
    func killedRollbackJournalLoad() throws {
        let b = try Binary()
        defer { b.remove() }
        let out = try generatedCounty(b)
        let process = try startImport(b, out + "/residents.csv")
        try killInJournal(b, process)
        let people = try b.run("resident", "find", "--limit", "1", "--json").stdout
        if people.contains(#""idNumber""#) {
            Issue.record("the load finished before the kill; the test proves nothing (a slower kill needed)")
            return
        }
        // Nothing of it stayed; the same file loads again, whole.
        let again = try b.run(["import", "residents", out + "/residents.csv"])
        #expect(again.status == 0)
        let last = try b.run("resident", "find", "--limit", "1000", "--after", "19000", "--json").stdout
        #expect(last.components(separatedBy: #""idNumber""#).count - 1 == 1000)
        #expect(try b.run("check").status == 0)
    }

    /// Kills a load once its rollback journal is there, and checks what the next open makes
    /// of it: the hot journal rolled back, the database sound and in WAL mode again.
    func killInJournal(_ b: Binary, _ process: Process) throws {
        // The journal exists from the load's first write: proof that it left WAL mode. It
        // holds pages of the file (sealed ID numbers, names): as private as it.
        #expect(journalMode(b, while: process) == 0o600)
        usleep(300_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try b.run("check").status == 0)
        #expect(!FileManager.default.fileExists(atPath: b.db + "-journal"))
        let header = try FileHandle(forReadingFrom: URL(fileURLWithPath: b.db)).readData(ofLength: 20)
        #expect(Array(header[18...19]) == [2, 2])   // WAL's read and write versions
    }

    /// The permissions of the rollback journal once it appears while `process` runs; `nil`
    /// when it never does. Read in one step: a short transaction just before the load's own
    /// makes a journal that lives for half a millisecond, and a look that found it and then
    /// read its attributes read nothing.
    func journalMode(_ b: Binary, while process: Process) -> Int? {
        for _ in 0..<6000 where process.isRunning {
            if let mode = (try? FileManager.default.attributesOfItem(atPath: b.db + "-journal")[.posixPermissions] as? Int) ?? nil {
                return mode
            }
            usleep(5000)
        }
        return nil
    }

    @Test("killed in a county's first units load, written through the rollback journal: no unit stays, the database is sound and in WAL mode, and the file loads again")
    func killedFirstUnitsLoad() throws {
        let b = try Binary()
        defer { b.remove() }
        let out = try generatedCounty(b, residents: 60000, units: false)
        let process = try startImport(b, out + "/units.csv", kind: "units")
        try killInJournal(b, process)
        let units = try b.run("unit", "get", "--unit-id", "411525001001001-0001", "--json")
        if units.status == 0 {
            Issue.record("the load finished before the kill; the test proves nothing (a slower kill needed)")
            return
        }
        #expect(try b.run(["import", "units", out + "/units.csv"]).status == 0)
        #expect(try b.run("unit", "get", "--unit-id", "411525001001001-0001", "--json").status == 0)
        #expect(try b.run("check").status == 0)
    }
}
