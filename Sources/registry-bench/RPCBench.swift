import ArgumentParser
import Foundation
import GRDB
import RegistryCore

/// `registry-bench rpc`: JSON-RPC registration throughput with full durability, against a
/// single bulk transaction inserting the same rows.
struct RPCBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Pipe resident.register requests into one `registry serve --stdio`; compare with one bulk transaction.")

    @Option(help: "How many residents the synthetic county has (one request per resident living there).")
    var residents: Int = 100_000

    @OptionGroup var options: BenchOptions

    func run() throws {
        let work = options.work ?? NSTemporaryDirectory() + "registry-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if options.work == nil { try? FileManager.default.removeItem(atPath: work) } }

        let data = work + "/county"
        _ = try CountyGenerator(residents: residents, seed: 1).write(to: data)
        let rows = try RegisterRows.read(data + "/residents.csv")
        let requests = rows.enumerated().map { index, row in row.request(id: index + 1) }.joined(separator: "\n") + "\n"
        print("requests: \(rows.count) resident.register lines, \(requests.utf8.count / 1_048_576) MiB")

        var serveTimes: [Double] = []
        var bulkTimes: [Double] = []
        for round in 1...options.repeats {
            let servedDB = "\(work)/served-\(round).sqlite"
            try Fixture.prepare(servedDB, data: data)
            var answered = 0
            let elapsed = try seconds { answered = try Serve.pipe(requests, registry: options.registryPath, db: servedDB) }
            guard answered == rows.count else {
                throw ValidationError("expected \(rows.count) results, got \(answered)")
            }
            serveTimes.append(elapsed)

            let bulkDB = "\(work)/bulk-\(round).sqlite"
            try Fixture.prepare(bulkDB, data: data)
            bulkTimes.append(try BulkInsert.run(rows, db: bulkDB))
            print(String(format: "round %d: serve %.2f s (%.0f req/s), bulk transaction %.2f s", round, elapsed,
                         Double(rows.count) / elapsed, bulkTimes.last!))
        }
        let serve = median(serveTimes), bulk = median(bulkTimes)
        print(String(format: "median: serve --stdio %.2f s = %.0f requests/s; one bulk transaction %.2f s = %.0f rows/s; ratio serve ÷ bulk = %.2f",
                     serve, Double(rows.count) / serve, bulk, Double(rows.count) / bulk, serve / bulk))
    }
}

/// One open residence from `residents.csv`, as a registration.
struct RegisterRows {
    var idNumber: String, name: String, phone: String, hukouCode: String, unitId: String, movedIn: String

    /// Rows without `moved_out`, one per person: who lives in the county at the end.
    static func read(_ path: String) throws -> [RegisterRows] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rows: [RegisterRows] = []
        for line in text.split(separator: "\r\n").dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == 7, cells[6].isEmpty else { continue }
            rows.append(RegisterRows(idNumber: cells[0], name: cells[1], phone: cells[2], hukouCode: cells[3],
                                     unitId: cells[4], movedIn: cells[5]))
        }
        return rows
    }

    func request(id: Int) -> String {
        var params: [(String, JSONValue)] = [("idNumber", .string(idNumber)), ("name", .string(name)), ("unitId", .string(unitId)),
                                             ("movedIn", .string(movedIn)), ("hukouCode", .string(hukouCode))]
        if !phone.isEmpty { params.append(("phone", .string(phone))) }
        return JSONWriter.string(.object([("jsonrpc", .string("2.0")), ("id", .int(Int64(id))),
                                          ("method", .string("resident.register")), ("params", .object(params))]))
    }
}

/// A database with the county's areas and units, ready for residents.
enum Fixture {
    static func prepare(_ path: String, data: String) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let registry = try Registry.initialize(path: path, settings: RegistrySettings(countyCode: "411525", countyName: "固始县"))
        for kind in [CSVImport.Kind.areas, .units] {
            _ = try CSVImport(kind: kind, encoding: .utf8).run(registry, path: "\(data)/\(kind.rawValue).csv", operator: "bench")
        }
    }
}

/// Runs `registry serve --stdio` as a child process.
enum Serve {
    /// Writes `input` to the server from another thread while reading its answers.
    /// - Returns: how many responses carried a result.
    static func pipe(_ input: String, registry: String, db: String) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: registry)
        process.arguments = ["serve", "--stdio", "--db", db, "--operator", "bench"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var results = 0
        output.withUnsafeBytes { bytes in
            let needle = Array(#""result":"#.utf8)
            var index = 0
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) {
                    results += 1
                    index += needle.count
                } else {
                    index += 1
                }
            }
        }
        return results
    }
}

/// The same rows as the registrations write (a person, a residence, a move_in event),
/// inserted in one transaction with prepared statements: what SQLite can do at best.
enum BulkInsert {
    static func run(_ rows: [RegisterRows], db path: String) throws -> Double {
        var config = Configuration()
        config.journalMode = .wal
        let queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in
            // The same settings as the registry's own connections.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        let units = try queue.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT unit_id, id, address, grid, community, subdistrict FROM unit")
                .map { ($0[0] as String, $0) })
        }
        return try seconds {
            try queue.inTransaction(.immediate) { db in
                // The sealed columns get bytes of their real sizes; the registry's cryptography
                // is its own cost, not SQLite's.
                let person = try db.makeStatement(sql: """
                    INSERT INTO resident (id_index, id_cipher, name, sex, birth_date, hukou_code, phone_cipher)
                    VALUES (?, zeroblob(46), ?, ?, ?, ?, ?)
                    """)
                let residence = try db.makeStatement(sql: "INSERT INTO residence (resident, unit, moved_in) VALUES (?, ?, ?)")
                // The maintained counts a registration adds (schema 10 writes them from the
                // registry, not from a trigger): sex, year of birth, a migrant's province, and the
                // date of birth (schema 11).
                let population = try db.makeStatement(sql: """
                    INSERT INTO population (grid, facet, value, people) VALUES (?, ?, ?, 1)
                    ON CONFLICT (grid, facet, value) DO UPDATE SET people = people + 1
                    """)
                let event = try db.makeStatement(sql: """
                    INSERT INTO ledger_event (type, date, resident, name, sex, birth_date, hukou_code, migrant, unit_id, address,
                                              grid, community, subdistrict, operator, recorded_at)
                    VALUES ('move_in', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'bench', '2026-01-01T00:00:00.000Z')
                    """)
                let birthday = try db.makeStatement(sql: """
                    INSERT INTO population_birthday (born, grid, people) VALUES (?, ?, 1)
                    ON CONFLICT (born, grid) DO UPDATE SET people = people + 1
                    """)
                for row in rows {
                    let id = try IDNumber(row.idNumber)
                    let unit = units[row.unitId]!
                    let migrant = !row.hukouCode.hasPrefix("411525")
                    try person.execute(arguments: [blindIndexStandIn(id.value), row.name, id.sex.rawValue, id.birthDate.description,
                                                   row.hukouCode, row.phone.isEmpty ? nil : Data(count: 39)])
                    let resident = db.lastInsertedRowID
                    try residence.execute(arguments: [resident, unit[1] as Int64, row.movedIn])
                    let grid: String = unit[3]
                    try birthday.execute(arguments: [id.birthDate.description, grid])
                    try population.execute(arguments: [grid, "sex", id.sex.rawValue])
                    try population.execute(arguments: [grid, "born", String(id.birthDate.description.prefix(4))])
                    if migrant { try population.execute(arguments: [grid, "origin", String(row.hukouCode.prefix(2))]) }
                    try event.execute(arguments: [row.movedIn, resident, row.name, id.sex.rawValue, id.birthDate.description,
                                                  row.hukouCode, migrant, row.unitId, unit[2] as String, unit[3] as String,
                                                  unit[4] as String, unit[5] as String])
                }
                return .commit
            }
        }
    }

    /// 16 distinct bytes per ID number (two FNV-1a hashes), standing in for the HMAC.
    static func blindIndexStandIn(_ text: String) -> Data {
        var out = Data()
        for seed: UInt64 in [0xcbf29ce484222325, 0x84222325cbf29ce4] {
            var hash = seed
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
            withUnsafeBytes(of: hash) { out.append(contentsOf: $0) }
        }
        return out
    }
}
