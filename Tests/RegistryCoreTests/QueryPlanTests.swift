import GRDB
import GRDBSQLite
import Testing
@testable import RegistryCore

/// Every statement the counter's everyday operations run finds its rows through an index:
/// a later change to a query or an index cannot silently turn a lookup into a table scan.
@Suite("Query plans")
struct QueryPlanTests {
    /// The SQL texts a call runs, captured from SQLite's own trace of the connection.
    func statements(_ t: TestRegistry, _ method: String, _ params: String) throws -> [String] {
        let collected = SQLCollector()
        t.registry.pool.writeWithoutTransaction { db in
            db.trace(options: .statement) { event in
                if case let .statement(statement) = event { collected.add(statement.sql) }
            }
        }
        defer { t.registry.pool.writeWithoutTransaction { $0.trace(options: .statement, nil) } }
        try t.ok(method, params)
        // A trigger's statements are traced as `-- TRIGGER name`: their plans are checked apart.
        return collected.sql.filter { !$0.hasPrefix("SAVEPOINT") && !$0.hasPrefix("RELEASE") && !$0.hasPrefix("BEGIN")
            && !$0.hasPrefix("COMMIT") && !$0.hasPrefix("ROLLBACK") && !$0.hasPrefix("PRAGMA") && !$0.hasPrefix("--") }
    }

    /// The tables (or whole indexes) a statement reads from end to end: any SCAN, with or
    /// without an index, as opposed to a SEARCH.
    func scans(_ t: TestRegistry, _ sql: String) throws -> [String] {
        try t.registry.read { db in
            let statement = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + sql)
            let count = Int(sqlite3_bind_parameter_count(statement.sqliteStatement))
            let arguments = StatementArguments(Array(repeating: DatabaseValue.null, count: count))
            return try Row.fetchAll(statement, arguments: arguments).compactMap { row -> String? in
                let detail: String = row["detail"]
                guard detail.hasPrefix("SCAN "), !detail.contains("CONSTANT ROW") else { return nil }
                return detail
            }
        }
    }

    @Test("demographics on a past day finds the residences that changed since by when they ended, not by every move-in before the day")
    func demographicsChangesUseDatesIndex() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1", discovered: "2024-01-01")
        let sql = try statements(t, "analysis.demographics", #"{"level":"grid","asOf":"2025-06-30"}"#).filter { $0.contains("FROM residence WHERE moved_out > ?") }
        #expect(sql.count >= 2)
        for statement in sql {
            let plan = try t.registry.read { db in
                let explained = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + statement)
                let count = Int(sqlite3_bind_parameter_count(explained.sqliteStatement))
                return try Row.fetchAll(explained, arguments: StatementArguments(Array(repeating: DatabaseValue.null, count: count)))
                    .map { $0["detail"] as String }
            }
            #expect(!plan.contains { $0.contains("residence_moved_in") }, "\(plan)")
            #expect(plan.contains { $0.contains("residence_dates") }, "\(plan)")
        }
    }

    @Test("the worklist of unregistered rentals reads the discovery-order index, never the unit table whole")
    func worklistUsesIndex() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1", discovered: "2024-01-01")
        for (params, index) in [(#"{"asOf":"2025-06-01"}"#, "unit_rental_discovered"),
                                (#"{"asOf":"2025-06-01","area":"411525003","limit":5}"#, "unit_rental_discovered"),
                                (#"{"asOf":"2025-06-01","area":"411525003001001"}"#, "unit_rental_dates")] {
            let sql = try statements(t, "worklist.unregisteredUnits", params).filter { $0.contains("FROM unit u") }
            #expect(sql.count == 1)
            for statement in sql {
                #expect(try scans(t, statement).isEmpty, "\(statement)")
                let plan = try t.registry.read { db in
                    let explained = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + statement)
                    let count = Int(sqlite3_bind_parameter_count(explained.sqliteStatement))
                    return try Row.fetchAll(explained, arguments: StatementArguments(Array(repeating: DatabaseValue.null, count: count)))
                        .map { $0["detail"] as String }
                }
                #expect(plan.contains { $0.contains(index) }, "\(plan)")
            }
        }
    }

    @Test("lookups on the registration, unit, resident, household and ledger paths use indexes")
    func lookupsUseIndexes() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let id = makeID()
        try t.moveIn(id, "U1", on: "2025-02-01")
        let household = try t.ok("household.create", #"{"unitId":"U1","headIdNumber":"\#(id)"}"#)["householdId"]!.intValue!
        let calls: [(String, String)] = [
            ("resident.register", #"{"idNumber":"\#(makeID(sequence: 5))","name":"新人","unitId":"U1","movedIn":"2025-03-01","householdId":\#(household),"relation":"child"}"#),
            ("resident.register", #"{"idNumber":"\#(id)","name":"改名","unitId":"U1","movedIn":"2025-03-02","transfer":true}"#),
            ("unit.get", #"{"unitId":"U1"}"#),
            ("resident.get", #"{"idNumber":"\#(id)"}"#),
            ("household.get", #"{"householdId":\#(household)}"#),
            ("resident.find", #"{"name":"改"}"#),
            ("resident.find", #"{"unitId":"U1"}"#),
            ("resident.moveOut", #"{"idNumber":"\#(id)","date":"2025-04-01"}"#),
            ("unit.register", #"{"unitId":"U1","date":"2025-04-02"}"#),
            ("ledger.events", #"{"area":"411525003001001","limit":5}"#),
            ("ledger.events", #"{"after":2,"limit":5}"#),
            ("audit.list", #"{"after":0}"#),
        ]
        var checked = 0
        for (method, params) in calls {
            for sql in try statements(t, method, params) {
                // (`g` is the one-row registry table, `f` the three facets of the months' view.)
                let full = try scans(t, sql).filter { !$0.contains("area") && !$0.contains("registry") && $0 != "SCAN g" && $0 != "SCAN f" }
                #expect(full.isEmpty, "\(method): \(sql) → \(full)")
                checked += 1
            }
        }
        #expect(checked > 20)
    }

    @Test("registration rates and trends read the kept rental counts by their keys, never the unit table")
    func reportsReadRentalCounts() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        for (method, params) in [("metrics.registrationRate", #"{"level":"grid","asOf":"2025-06-30"}"#),
                                 ("metrics.registrationRate", #"{"level":"subdistrict","asOf":"2025-06-30"}"#),
                                 ("metrics.registrationRate", #"{"level":"grid","asOf":"2025-06-30","parent":"411525003"}"#),
                                 ("metrics.trend", #"{"area":"411525","from":"2025-01-01","to":"2025-03-01","step":"month"}"#),
                                 ("metrics.trend", #"{"area":"411525003001","from":"2025-01-01","to":"2025-03-01","step":"month"}"#)] {
            let all = try statements(t, method, params)
            #expect(!all.contains { $0.contains("FROM unit") }, "\(method): \(all)")
            let counts = all.filter { $0.contains("rental_count_day") }
            #expect(!counts.isEmpty, "\(method): \(all)")
            for sql in counts {
                // Only the areas are walked (the grids by `area_level`); the counts by their keys.
                let lines = try plan(t, sql)
                #expect(!lines.contains { $0.hasPrefix("SCAN") && $0.contains("rental_count") }, "\(method): \(sql) → \(lines)")
                #expect(!lines.contains { $0.hasPrefix("SCAN") && !$0.contains("USING") }, "\(method): \(sql) → \(lines)")
            }
        }
    }

    @Test("the triggers that keep the rental counts reach the counts by their keys")
    func rentalCountTriggersUseKeys() throws {
        let t = try TestRegistry()
        try t.addAreas()
        // What the triggers' upsert and update look for, with the trigger's row as parameters.
        for sql in ["SELECT known FROM rental_count_day WHERE area = ? AND day = ?",
                    "SELECT * FROM rental_count_month WHERE grid = ? AND month > ?"] {
            let lines = try plan(t, sql)
            #expect(!lines.contains { $0.contains("SCAN u") || $0.contains("SCAN unit") || $0.contains("SCAN rental_count") }, "\(sql) → \(lines)")
            #expect(lines.contains { $0.contains("INTEGER PRIMARY KEY") || $0.contains("PRIMARY KEY") }, "\(sql) → \(lines)")
        }
    }
}

extension QueryPlanTests {
    /// Every line of a statement's plan.
    func plan(_ t: TestRegistry, _ sql: String) throws -> [String] {
        try t.registry.read { db in
            let statement = try db.makeStatement(sql: "EXPLAIN QUERY PLAN " + sql)
            let count = Int(sqlite3_bind_parameter_count(statement.sqliteStatement))
            let arguments = StatementArguments(Array(repeating: DatabaseValue.null, count: count))
            return try Row.fetchAll(statement, arguments: arguments).map { $0["detail"] }
        }
    }

    @Test("an export's count does not sort: the roster's and the ledger's counts have no temporary B-tree")
    func exportCountsDoNotSort() throws {
        let t = try TestRegistry()
        try t.addAreas()
        let area = try t.registry.read { try AreaRecord.require($0, code: "411525003", field: "area") }
        let roster = RosterQuery(asOf: CivilDate("2025-06-30")!, area: area, migrantOnly: true)
        let ledger = LedgerQuery(area: area, from: CivilDate("2025-01-01"), to: nil, after: nil)
        // The statements the counts themselves run, from SQLite's trace.
        let collected = SQLCollector()
        try t.registry.pool.writeWithoutTransaction { db in
            db.trace(options: .statement) { event in
                if case let .statement(statement) = event { collected.add(statement.sql) }
            }
            _ = try roster.count(db, settings: t.registry.settings)
            _ = try ledger.count(db)
            db.trace(options: .statement, nil)
        }
        #expect(collected.sql.count == 2)
        for sql in collected.sql {
            #expect(!(try plan(t, sql)).contains { $0.contains("TEMP B-TREE") }, "\(sql)")
        }
        #expect(try plan(t, roster.sql(settings: t.registry.settings).0).contains { $0.contains("TEMP B-TREE") },
                "the ordered roster does sort: the count must not use it")
    }

    @Test("the population triggers find a residence's or a person's shares by key, and the analyzer's changes since a day by index")
    func populationUsesIndexes() throws {
        let t = try TestRegistry()
        try t.addAreas()
        // What the triggers run: the shares of one residence (by its key) or one person's open one.
        for sql in ["SELECT grid, facet, value FROM population_share WHERE residence = ?",
                    "SELECT grid, facet, value FROM population_share WHERE resident = ?"] {
            // `g` is the one-row registry table, `f` the three facets.
            let scanned = try plan(t, sql).filter { $0.hasPrefix("SCAN ") && !["SCAN g", "SCAN f", "SCAN CONSTANT ROW"].contains($0) }
            #expect(scanned.isEmpty, "\(sql): \(scanned)")
        }
        #expect(try plan(t, "SELECT grid FROM population_share WHERE resident = ?").contains { $0.contains("residence_one_open") })
        for sql in ["SELECT born, grid FROM population_birthday_share WHERE residence = ?",
                    "SELECT born, grid FROM population_birthday_share WHERE resident = ?"] {
            let scanned = try plan(t, sql).filter { $0.hasPrefix("SCAN ") }
            #expect(scanned.isEmpty, "\(sql): \(scanned)")
        }
        // And the months' triggers: one residence's or one person's rows, months by key.
        for sql in ["SELECT month, grid, facet, value FROM population_month_share WHERE residence = ?",
                    "SELECT month, grid, facet, value FROM population_month_share WHERE resident = ?",
                    "SELECT month, grid, facet, value FROM population_month_facets WHERE residence = ? AND month >= ? AND month >= ?"] {
            let scanned = try plan(t, sql).filter { $0.hasPrefix("SCAN ") && !["SCAN g", "SCAN f", "SCAN CONSTANT ROW"].contains($0) }
            #expect(scanned.isEmpty, "\(sql): \(scanned)")
            #expect(try plan(t, sql).contains { $0.contains("SEARCH m USING PRIMARY KEY (month>?)") }, "\(sql)")
        }
        // The triggers' updates find each row by the table's key, never by reading it whole.
        let update = try plan(t, """
            UPDATE population_month SET people = people - 1 WHERE (month, grid, facet, value) IN
            (SELECT month, grid, facet, value FROM population_month_facets WHERE residence = ? AND month >= ? AND month >= ?)
            """)
        #expect(update.contains("SEARCH population_month USING PRIMARY KEY (month=? AND grid=? AND facet=? AND value=?)"), "\(update)")
        // What analysis.demographics runs on a day: the day's month by its key, and the
        // residences begun or ended since its first day by the two date indexes.
        try t.addUnit("U1")
        try t.moveIn(makeID(), "U1", on: "2025-02-01")
        _ = try t.registry.recountPopulation(operator: "test")
        var plans: [String] = []
        for sql in try statements(t, "analysis.demographics", #"{"level":"grid","asOf":"2025-06-30"}"#) {
            plans += try plan(t, sql)
        }
        #expect(plans.contains("SEARCH population_month USING PRIMARY KEY (month=?)"), "\(plans)")
        #expect(plans.contains { $0.contains("INDEX residence_moved_in (moved_in>? AND moved_in<?)") }, "\(plans)")
        #expect(plans.contains { $0.contains("INDEX residence_dates (moved_out>? AND moved_out<?)") }, "\(plans)")
        let whole = plans.filter { $0.hasPrefix("SCAN ") && $0 != "SCAN CONSTANT ROW" && !$0.hasPrefix("SCAN (subquery") }
            .filter { !$0.contains("area") }
        #expect(whole.isEmpty, "\(whole)")
        // The counts now taken back to a day (what a day in the latest month may use).
        let collected = SQLCollector()
        try t.registry.read { db in
            db.trace(options: .statement) { event in
                if case let .statement(statement) = event { collected.add(statement.sql) }
            }
            _ = try PopulationTally.maintained(db, try AreaSelection(db, level: .grid, parent: nil), on: CivilDate("2025-06-30")!,
                                               settings: t.registry.settings)
            db.trace(options: .statement, nil)
        }
        plans = try collected.sql.flatMap { try plan(t, $0) }
        #expect(plans.contains { $0.contains("INDEX residence_dates (moved_out=? AND moved_in>?)") }, "\(plans)")
        #expect(plans.contains { $0.contains("USING COVERING INDEX residence_dates (moved_out>?)") || $0.contains("USING INDEX residence_dates (moved_out>?)") }, "\(plans)")
        // The edge years' people: two ranges of the birthdays' key, never the whole table.
        #expect(plans.filter { $0.contains("SEARCH population_birthday USING PRIMARY KEY (born>? AND born<?)") }.count == 2, "\(plans)")
        #expect(!plans.contains { $0.hasPrefix("SCAN population_birthday") }, "\(plans)")
        // No residence is read whole: only the small population table, the areas, and the
        // rows the union of the two birthday ranges gave (`subquery`) are.
        let wholeNow = plans.filter { $0.hasPrefix("SCAN ") && $0 != "SCAN CONSTANT ROW" && !$0.hasPrefix("SCAN (subquery") }
            .filter { !$0.contains("population") && !$0.contains("area") }
        #expect(wholeNow.isEmpty, "\(wholeNow)")
    }
}

/// Collects SQL texts from the trace callback.
final class SQLCollector: @unchecked Sendable {
    private(set) var sql: [String] = []
    func add(_ text: String) { sql.append(text) }

}
