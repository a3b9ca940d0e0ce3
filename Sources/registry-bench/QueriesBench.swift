import ArgumentParser
import Foundation
import RegistryCore

/// `registry-bench queries`: the registry's commands against the sqlite3 command-line
/// tool running hand-written SQL on the same database file, each as a whole process.
struct QueriesBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queries",
        abstract: "Time import, metrics, analysis, lookups and exports against sqlite3 on the same data.")

    @Option(help: "How many residents the synthetic county has.")
    var residents: Int = 100_000

    @OptionGroup var options: BenchOptions

    func run() throws {
        let work = options.work ?? NSTemporaryDirectory() + "registry-bench-q-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if options.work == nil { try? FileManager.default.removeItem(atPath: work) } }
        let data = work + "/county"
        _ = try CountyGenerator(residents: residents, seed: 1).write(to: data)
        let db = work + "/registry.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let registry = options.registryPath
        try Shell.run(registry, ["init", "--county", "411525", "--name", "固始县", "--db", db])
        try Shell.run(registry, ["import", "areas", data + "/areas.csv", "--db", db])
        try Shell.run(registry, ["import", "units", data + "/units.csv", "--db", db])

        var rows: [(String, Double, Double)] = []
        // Import: the registry (checks, events, indexes) against sqlite3 .import into a bare table.
        let importTime = try seconds { try Shell.run(registry, ["import", "residents", data + "/residents.csv", "--db", db]) }
        let scratch = work + "/scratch.sqlite"
        try? FileManager.default.removeItem(atPath: scratch)
        let sqliteImport = try seconds { try Shell.sqlite(scratch, ".mode csv\n.import \(data)/residents.csv residents\n") }
        rows.append(("import residents.csv", importTime, sqliteImport))

        let asOf = "2026-10-01"
        let cutoff15 = CivilDate(asOf)!.adding(years: -15).description, cutoff60 = CivilDate(asOf)!.adding(years: -60).description
        let living = "FROM residence x JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident WHERE x.moved_in <= '\(asOf)' AND (x.moved_out IS NULL OR x.moved_out > '\(asOf)')"
        let migrant = "(substr(r.hukou_code, 1, 6) <> '411525')"
        let someone = try String(contentsOfFile: data + "/residents.csv", encoding: .utf8).split(separator: "\r\n")[1].split(separator: ",")[0]
        let cases: [(String, [String], String)] = [
            ("registration rate per grid", ["metrics", "registration-rate", "--level", "grid", "--as-of", asOf, "--json"],
             // Grouped by the nested codes, so that SQLite reads the rental units' covering index in its order.
             "SELECT grid, count(*), sum(registered_on <= '\(asOf)') FROM unit WHERE kind = 'rental' AND discovered_on <= '\(asOf)' AND (closed_on IS NULL OR closed_on > '\(asOf)') GROUP BY subdistrict, community, grid;"),
            ("trend, county, monthly, 18 months", ["metrics", "trend", "--area", "411525", "--from", "2025-04-01", "--to", asOf, "--step", "month", "--json"],
             (0...18).map { k -> String in
                 let d = CivilDate("2025-04-01")!.adding(months: k).description
                 return "SELECT count(*), sum(registered_on <= '\(d)') FROM unit WHERE kind = 'rental' AND discovered_on <= '\(d)' AND (closed_on IS NULL OR closed_on > '\(d)');"
             }.joined(separator: "\n")),
            ("demographics per grid", ["analysis", "demographics", "--level", "grid", "--as-of", asOf, "--json"],
             Self.demographicsSQL(asOf: asOf, group: "grid")),
            ("demographics per subdistrict", ["analysis", "demographics", "--level", "subdistrict", "--as-of", asOf, "--json"],
             Self.demographicsSQL(asOf: asOf, group: "subdistrict")),
            ("demographics per grid, 18 months back", ["analysis", "demographics", "--level", "grid", "--as-of", "2025-04-01", "--json"],
             Self.demographicsSQL(asOf: "2025-04-01", group: "grid")),
            ("demographics per grid, 2021-06-15", ["analysis", "demographics", "--level", "grid", "--as-of", "2021-06-15", "--json"],
             Self.demographicsSQL(asOf: "2021-06-15", group: "grid")),
            ("demographics per grid, 2018-01-31", ["analysis", "demographics", "--level", "grid", "--as-of", "2018-01-31", "--json"],
             Self.demographicsSQL(asOf: "2018-01-31", group: "grid")),
            ("demographics per grid, every residence read (sqlite3 scan)", ["analysis", "demographics", "--level", "grid", "--as-of", asOf, "--json"],
             "SELECT u.grid, count(*), sum(\(migrant)), sum(r.sex = 'male'), sum(r.birth_date > '\(cutoff15)'), sum(r.birth_date <= '\(cutoff60)') \(living) GROUP BY 1;\nSELECT u.grid, substr(r.hukou_code, 1, 2), count(*) \(living) AND \(migrant) GROUP BY 1, 2;"),
            ("resident.get (one process)", ["resident", "get", "--id-number", String(someone), "--json"],
             // One lookup in the unique blind index (sqlite3 has no key to compute it: it looks up a stored one).
             "SELECT * FROM resident WHERE id_index = (SELECT id_index FROM resident WHERE id = 1);"),
            ("resident.find by name prefix", ["resident", "find", "--name", "王", "--limit", "100", "--json"],
             "SELECT * FROM resident WHERE name >= '王' AND name < '王' || char(1114111) ORDER BY id LIMIT 101;"),
        ]
        for (name, arguments, sql) in cases {
            let ours = try medianTime { try Shell.run(registry, arguments + ["--db", db]) }
            let theirs = try medianTime { try Shell.sqlite(db, sql) }
            rows.append((name, ours, theirs))
        }
        let exportFile = work + "/ledger.csv", sqliteFile = work + "/sqlite.csv"
        let export = try medianTime {
            try? FileManager.default.removeItem(atPath: exportFile)
            try Shell.run(registry, ["ledger", "export", "-o", exportFile, "--db", db])
        }
        let sqliteExport = try medianTime {
            try Shell.sqlite(db, ".mode csv\n.once \(sqliteFile)\nSELECT seq, type, date, resident, name, sex, birth_date, hukou_code, migrant, unit_id, address, grid, community, subdistrict, operator, recorded_at FROM ledger_event ORDER BY seq;\n")
        }
        rows.append(("ledger export, every event", export, sqliteExport))
        let roster = try medianTime { try Shell.run(registry, ["ledger", "roster", "--as-of", asOf, "--all", "-o", work + "/roster.csv", "--db", db]) }
        let sqliteRoster = try medianTime {
            try Shell.sqlite(db, ".mode csv\n.once \(work)/sqlite-roster.csv\nSELECT r.id, r.name, r.sex, r.birth_date, r.hukou_code, \(migrant), u.unit_id, u.address, u.grid, u.community, u.subdistrict, x.moved_in \(living) ORDER BY u.grid, u.unit_id, x.moved_in, r.id;\n")
        }
        rows.append(("roster, everyone", roster, sqliteRoster))

        print("| work, \(residents) residents | registry | sqlite3 | ratio |")
        print("| --- | --- | --- | --- |")
        for (name, ours, theirs) in rows {
            print(String(format: "| %@ | %.3f s | %.3f s | %.2f |", name, ours, theirs, ours / theirs))
        }
    }

    /// sqlite3's best SQL for the demographics on the project's own schema: the counts of the
    /// first day of the day's month (`population_month`), and the residences that began or
    /// ended between that day and the day, each in its band (the same work as the
    /// registry's, with the adding-up left to the client). Migrants as under the `county`
    /// scope, the bench's county.
    static func demographicsSQL(asOf: String, group: String) -> String {
        let day = CivilDate(asOf)!
        let month = CivilDate(year: day.year, month: day.month, day: 1)!.description
        let t15 = day.adding(years: -15).description, t60 = day.adding(years: -60).description
        let grouping = group == "grid" ? "p.grid" : "a.\(group)"
        return """
            SELECT \(grouping), facet, CASE WHEN facet <> 'age' OR value = 'young' OR value = 'old' THEN value WHEN value > '\(t15)' THEN 'young' WHEN value <= '\(t60)' THEN 'old' END, sum(people)
            FROM population_month p JOIN area a ON a.code = p.grid WHERE month = '\(month)' AND people > 0 GROUP BY 1, 2, 3;
            SELECT u.\(group), r.sex, r.birth_date > '\(t15)', r.birth_date <= '\(t60)', substr(r.hukou_code, 1, 6) <> '411525', substr(r.hukou_code, 1, 2), sum(x.sign)
            FROM (SELECT unit, resident, 1 AS sign FROM residence WHERE moved_in > '\(month)' AND moved_in <= '\(asOf)'
                  UNION ALL SELECT unit, resident, -1 FROM residence WHERE moved_out > '\(month)' AND moved_out <= '\(asOf)') x
            JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident GROUP BY 1, 2, 3, 4, 5, 6;
            """.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "; ", with: ";\n") // one statement a line
    }

    private func medianTime(_ body: () throws -> Void) throws -> Double {
        var times: [Double] = []
        for _ in 0..<options.repeats { times.append(try seconds(body)) }
        return median(times)
    }
}

/// Child processes, started with posix_spawn and reaped with waitpid: Foundation's
/// `Process.waitUntilExit` polls every 50 ms, too coarse for commands that take as long.
enum Shell {
    static func run(_ executable: String, _ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw ValidationError("cannot start \(executable): \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            throw ValidationError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status))")
        }
    }

    /// Runs SQL statements and dot-commands, one per line, in the sqlite3 command-line tool.
    static func sqlite(_ db: String, _ script: String) throws {
        try run("/usr/bin/sqlite3", [db] + script.split(separator: "\n").map(String.init))
    }
}
