import ArgumentParser
import Foundation
import RegistryCore

/// `registry-bench kill`: crash safety, measured. Kills (SIGKILL) an import and a JSON-RPC
/// stream at random points, `--trials` times each, and after every kill checks that the
/// database passes `registry check` (integrity, foreign keys, both hash chains), that the
/// import left all of its rows or none, and that every request answered with a `result`
/// is in the database.
struct KillTrials: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill",
        abstract: "SIGKILL imports and JSON-RPC streams at random points; check what survives.")

    @Option(help: "How many kills of each kind.")
    var trials: Int = 50

    @Option(help: "How many residents the synthetic county has.")
    var residents: Int = 5_000

    @OptionGroup var options: BenchOptions

    func run() throws {
        // Requests are still being written when the server is killed.
        signal(SIGPIPE, SIG_IGN)
        let work = options.work ?? NSTemporaryDirectory() + "registry-kill-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if options.work == nil { try? FileManager.default.removeItem(atPath: work) } }
        let data = work + "/county"
        _ = try CountyGenerator(residents: residents, seed: 7).write(to: data)
        let residentsFile = data + "/residents.csv"
        let rows = try RegisterRows.read(residentsFile)
        let requests = rows.enumerated().map { index, row in row.request(id: index + 1) }.joined(separator: "\n") + "\n"
        var random = SystemRandomNumberGenerator()

        // How long each takes when left alone: kills are spread over that time.
        let calibrationDB = work + "/calibrate.sqlite"
        try Fixture.prepare(calibrationDB, data: data)
        let importTime = try seconds { try Shell.run(options.registryPath, ["import", "residents", residentsFile, "--db", calibrationDB]) }
        let expectedPeople = try count(calibrationDB)
        try Fixture.prepare(calibrationDB, data: data)
        let serveTime = try seconds { _ = try Serve.pipe(requests, registry: options.registryPath, db: calibrationDB) }
        print(String(format: "import of %d rows: %.2f s; serve of %d requests: %.2f s", expectedPeople, importTime, rows.count, serveTime))

        var importOutcomes = (none: 0, all: 0)
        var served = (trials: 0, answered: 0)
        for trial in 1...trials {
            // An import, killed at a random moment.
            let importDB = "\(work)/import-\(trial).sqlite"
            try Fixture.prepare(importDB, data: data)
            let importer = try Killable(options.registryPath, ["import", "residents", residentsFile, "--db", importDB])
            usleep(UInt32(Double.random(in: 0.02...1.1, using: &random) * importTime * 1_000_000))
            importer.kill()
            try requireSound(importDB, what: "import trial \(trial)")
            switch try count(importDB) {
            case 0: importOutcomes.none += 1
            case expectedPeople: importOutcomes.all += 1
            case let partial: throw ValidationError("import trial \(trial): \(partial) of \(expectedPeople) people stored: not all or nothing")
            }

            // A JSON-RPC stream, killed at a random moment.
            let serveDB = "\(work)/serve-\(trial).sqlite"
            try Fixture.prepare(serveDB, data: data)
            let server = try Killable(options.registryPath, ["serve", "--stdio", "--db", serveDB], input: requests)
            usleep(UInt32(Double.random(in: 0.05...0.9, using: &random) * serveTime * 1_000_000))
            let answered = server.kill()
            try requireSound(serveDB, what: "serve trial \(trial)")
            let registry = try Registry.open(path: serveDB)
            for id in answered {
                let params = try JSONParser.parse(Data(#"{"idNumber":"\#(rows[id - 1].idNumber)"}"#.utf8))
                guard (try? registry.perform(method: "resident.get", params: params, operator: "kill-check")) != nil else {
                    throw ValidationError("serve trial \(trial): request \(id) was answered with a result but is not in the database")
                }
            }
            served.trials += 1
            served.answered += answered.count
            for path in [importDB, serveDB] {
                for suffix in ["", "-wal", "-shm", ".key"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        print("import kills: \(trials), each all or nothing (\(importOutcomes.none) left nothing, \(importOutcomes.all) everything); check sound after each")
        print("serve kills: \(served.trials), \(served.answered) answered requests checked, none missing; check sound after each")
    }

    private func requireSound(_ db: String, what: String) throws {
        let report = try Registry.open(path: db).check()
        guard report.isSound else { throw ValidationError("\(what): check failed: \(JSONWriter.string(report.json))") }
    }

    private func count(_ db: String) throws -> Int {
        let result = try Registry.open(path: db).perform(method: "resident.find", params: try JSONParser.parse(Data(#"{"limit":1000}"#.utf8)), operator: "kill-check")
        var total = result["residents"]?.arrayValue?.count ?? 0
        var next = result["next"]
        while case let .int(after)? = next {
            let page = try Registry.open(path: db).perform(method: "resident.find", params: try JSONParser.parse(Data(#"{"limit":1000,"after":\#(after)}"#.utf8)), operator: "kill-check")
            total += page["residents"]?.arrayValue?.count ?? 0
            next = page["next"]
        }
        return total
    }
}

/// A child process to be killed, with its standard output collected as it comes.
final class Killable: @unchecked Sendable {
    private let process = Process()
    private let output = Pipe()
    private var collected = Data()
    private let lock = NSLock()

    init(_ executable: String, _ arguments: [String], input: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        let handle = output.fileHandleForReading
        try process.run()
        if let input {
            Thread {
                // The server is killed while this writes: a broken pipe is expected.
                try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
            }.start()
        }
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.lock(); collected.append(chunk); lock.unlock()
            }
        }.start()
    }

    /// Kills the process with SIGKILL and waits for it.
    /// - Returns: the ids of the requests answered with a `result` before it died.
    @discardableResult
    func kill() -> [Int] {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        usleep(50_000)
        lock.lock(); let text = String(decoding: collected, as: UTF8.self); lock.unlock()
        // Only whole lines: a line cut by the kill was never a complete answer.
        return text.split(separator: "\n", omittingEmptySubsequences: true).dropLast(text.hasSuffix("\n") ? 0 : 1).compactMap { line in
            guard line.contains(#""result""#), let range = line.range(of: #""id":"#) else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
    }
}
