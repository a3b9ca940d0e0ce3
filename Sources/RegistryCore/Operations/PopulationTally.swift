import GRDB

/// The people living in each area of a selection on a day: the counts behind
/// `analysis.demographics`.
///
/// Three ways to the same numbers:
/// - ``fromMonth(_:_:on:settings:)`` starts from the people living on the first day of the
///   day's month (`population_month`, schema version 12; ``PopulationMonths``), and adds the
///   residences that began between that day and the day, less those that ended. Its cost
///   is one month's rows and at most a month's changes, on any day of the history.
/// - ``maintained(_:_:on:settings:)`` starts from the `population` table, which is kept for
///   *now* (every open residence, by grid: sex, year of birth, a migrant's province), with
///   the two birth years in which an age band turns on the day read by date of birth from
///   `population_birthday`, and takes away the residences that changed after the day (open
///   ones that began later, closed ones that ended later), each in its band on the day. Its
///   cost grows with the changes since the day, not with the population.
/// - ``scanned(_:_:on:settings:)`` reads every residence begun by the day. It is the
///   reference the tests hold the others to, and what a day before the first month taken
///   uses.
struct PopulationTally {
    /// People, migrants, sexes, age bands (0–14, 15–59, 60+ in whole years on the day) and
    /// migrants by the province of their hukou code.
    struct Counts: Equatable {
        var residents = 0
        var migrants = 0
        var male = 0
        var female = 0
        var children = 0
        var elderly = 0
        /// Migrants by 2-digit province code; may hold zeros.
        var origins: [String: Int] = [:]

        var working: Int { residents - children - elderly }

        /// Adds `other`'s counts, origins included.
        mutating func add(_ other: Counts) {
            residents += other.residents
            migrants += other.migrants
            male += other.male
            female += other.female
            children += other.children
            elderly += other.elderly
            for (province, people) in other.origins { origins[province, default: 0] += people }
        }

        /// Adds `people` (negative: takes them away), of whom `male` are men, `female` women,
        /// `children` under 15 and `elderly` 60 or more, all migrants from `province` when it
        /// is given. Called on the dictionary's entry (`counts[key, default: Counts()].add(…)`),
        /// it changes the counts in place: a copy would copy their origins each time.
        mutating func add(people: Int, male: Int, female: Int, children: Int, elderly: Int, migrantsFrom province: String?) {
            residents += people
            self.male += male
            self.female += female
            self.children += children
            self.elderly += elderly
            if let province {
                migrants += people
                origins[province, default: 0] += people
            }
        }
    }

    /// Fills `population` from scratch from the residences: the migrations that made it and
    /// its birthdays (a first import and `registry recount` count it in the months' pass,
    /// ``PopulationMonths/rebuild(_:through:now:)``, held to this by `registry check`).
    static let recount = """
        DELETE FROM population;
        INSERT INTO population (grid, facet, value, people)
        SELECT grid, facet, value, count(*) FROM population_share GROUP BY grid, facet, value;
        """

    /// Fills `population_birthday` from scratch (schema version 11): by the migration that
    /// made the table. (A first import and `registry recount` count it in the months' pass,
    /// ``PopulationMonths/rebuild(_:through:now:)``.)
    static let recountBirthdays = """
        DELETE FROM population_birthday;
        INSERT INTO population_birthday (born, grid, people)
        SELECT born, grid, count(*) FROM population_birthday_share GROUP BY born, grid;
        """

    /// How many `population` keys (grid, facet, value) a recount from the residences gives
    /// another number for, or has and the table has not, or the other way round: 0 when
    /// the triggers kept it right.
    static func mismatchedRows(_ db: Database) throws -> Int {
        let facets = try Int.fetchOne(db, sql: """
            WITH recount AS (SELECT grid, facet, value, count(*) AS people FROM population_share GROUP BY grid, facet, value),
                 kept AS (SELECT grid, facet, value, people FROM population WHERE people > 0)
            SELECT count(*) FROM (
                SELECT grid, facet, value FROM (SELECT * FROM recount EXCEPT SELECT * FROM kept)
                UNION
                SELECT grid, facet, value FROM (SELECT * FROM kept EXCEPT SELECT * FROM recount))
            """) ?? 0
        let birthdays = try Int.fetchOne(db, sql: """
            WITH recount AS (SELECT born, grid, count(*) AS people FROM population_birthday_share GROUP BY born, grid),
                 kept AS (SELECT born, grid, people FROM population_birthday WHERE people > 0)
            SELECT count(*) FROM (
                SELECT born, grid FROM (SELECT * FROM recount EXCEPT SELECT * FROM kept)
                UNION
                SELECT born, grid FROM (SELECT * FROM kept EXCEPT SELECT * FROM recount))
            """) ?? 0
        return facets + birthdays
    }

    /// Counts by ``AreaSelection/groupKey(_:)``; areas with nobody are absent.
    var byArea: [String: Counts]
    /// Where the counts started from (for tests and benchmarks).
    enum Way: String { case month, now, scan }
    var way: Way

    /// The counts on `day`, by whichever way reads fewest residences: those that began or
    /// ended between the first day of the month and the day (from the month's counts), those
    /// changed since the day (from the counts now), or those begun by it (the scan, weighed by
    /// ``scanWeight``). Almost always the month's; the counts now can win on the last days,
    /// the scan before the first month taken.
    init(_ db: Database, _ selection: AreaSelection, on day: CivilDate, settings: RegistrySettings) throws {
        let edges = AgeEdges(day)
        let month = try Self.month(db, edges)
        let sinceMonth = try month.map { month in
            try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM residence WHERE moved_in > ? AND moved_in <= ?)
                     + (SELECT count(*) FROM residence WHERE moved_out > ? AND moved_out <= ?)
                """, arguments: [month, edges.day, month, edges.day]) ?? 0
        }
        // The other two counted only as far as they could still win (a day long past has
        // changed a million residences since; counting them all took longer than the answer).
        let cap = sinceMonth.map { $0 + 1 } ?? Int.max
        // The residences begun after the day and still open first: an exact range of an
        // index. Those closed after the day are counted only when the first did not reach
        // the cap, as their search passes over every residence closed after the day (most
        // of them begun after it too: on a day years back, 4 ms of a 50 ms answer).
        var changed = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM (SELECT 1 FROM residence WHERE moved_out IS NULL AND moved_in > ? LIMIT ?)
            """, arguments: [edges.day, cap]) ?? 0
        if changed < cap {
            changed += try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT 1 FROM residence WHERE moved_out > ? AND +moved_in <= ? LIMIT ?)
                """, arguments: [edges.day, edges.day, cap]) ?? 0
        }
        // Without a month, estimated from the other end (rows are never deleted but by a
        // rollback): counting the residences begun by a recent day would read nearly all.
        let begun = try sinceMonth == nil
            ? Int.fetchOne(db, sql: """
                SELECT coalesce((SELECT max(id) FROM residence), 0) - (SELECT count(*) FROM residence WHERE moved_in > ?)
                """, arguments: [edges.day]) ?? 0
            : Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM residence WHERE moved_in <= ? LIMIT ?)",
                           arguments: [edges.day, cap]) ?? 0
        if let month, let sinceMonth, sinceMonth <= changed, sinceMonth <= Self.scanWeight * begun {
            self = try Self.fromMonth(db, selection, edges, month: month, settings: settings)
        } else if changed <= Self.scanWeight * begun {
            self = try Self.maintained(db, selection, edges, from: Now(db, selection, edges), settings: settings)
        } else {
            self = try Self.scanned(db, selection, on: day, settings: settings)
        }
    }

    /// What reading one residence in the scan costs against reading one changed residence:
    /// about 2.4 µs against 1.7 µs at 1M residents (BENCHMARKS.md); near the crossing the two
    /// ways took the same time, so the simpler weight.
    static let scanWeight = 1

    /// Keeps only the selection's areas with someone living there, and origins with someone from there.
    private init(byArea: [String: Counts], of selection: AreaSelection, way: Way) {
        let wanted = Set(selection.areas.map { selection.groupKey($0.code) })
        self.byArea = byArea.filter { wanted.contains($0.key) }.compactMapValues { counts in
            guard counts.residents != 0 else { return nil }
            var counts = counts
            counts.origins = counts.origins.filter { $0.value != 0 }
            return counts
        }
        self.way = way
    }

    /// The days on which the age bands turn: born after ``under15`` is under 15 on the day,
    /// born on or before ``over60`` is 60 or more. Whole birth years on either side of an
    /// edge fall wholly in one band; only the edge's own year needs the day of birth.
    struct AgeEdges {
        var day: String
        var under15: String
        var over60: String
        /// The years of the two edges, as 4-digit text (`population.value` of facet `born`).
        var year15: String { String(under15.prefix(4)) }
        var year60: String { String(over60.prefix(4)) }
        /// The first day of the year after ``year15``, as text that sorts after every day of it.
        var afterYear15: String {
            let next = String((Int(year15) ?? 0) + 1)
            return String(repeating: "0", count: max(0, 4 - next.count)) + next
        }

        init(_ date: CivilDate) {
            day = date.description
            under15 = date.adding(years: -15).description
            over60 = date.adding(years: -60).description
        }

    }

    /// The maintained counts, less what changed after `day`.
    static func maintained(_ db: Database, _ selection: AreaSelection, on day: CivilDate, settings: RegistrySettings) throws -> PopulationTally {
        let edges = AgeEdges(day)
        return try maintained(db, selection, edges, from: Now(db, selection, edges), settings: settings)
    }

    /// The `population` tables read for a selection: the counts now, with the age bands on the
    /// day (whole birth years from `population`, the two edge years from `population_birthday`).
    struct Now {
        var counts: [String: Counts] = [:]

        init(_ db: Database, _ selection: AreaSelection, _ edges: AgeEdges) throws {
            let areaOfGrid = try PopulationTally.areaOfGrid(db, selection)
            // One pass over `population` in its key order, grid by grid.
            for row in try db.cachedRows(sql: """
                SELECT grid,
                       sum(CASE WHEN facet = 'sex' AND value = 'male' THEN people ELSE 0 END),
                       sum(CASE WHEN facet = 'sex' AND value = 'female' THEN people ELSE 0 END),
                       sum(CASE WHEN facet = 'born' AND value > ? THEN people ELSE 0 END),
                       sum(CASE WHEN facet = 'born' AND value < ? THEN people ELSE 0 END)
                FROM population GROUP BY grid
                """, arguments: [edges.year15, edges.year60]) {
                let male: Int = row[1], female: Int = row[2]
                guard let key = areaOfGrid[row[0]] else { continue }
                counts[key, default: Counts()].male += male
                counts[key, default: Counts()].female += female
                counts[key, default: Counts()].residents += male + female
                counts[key, default: Counts()].children += row[3] as Int
                counts[key, default: Counts()].elderly += row[4] as Int
            }
            for row in try db.cachedRows(sql: "SELECT grid, value, people FROM population WHERE facet = 'origin' AND people > 0") {
                guard let key = areaOfGrid[row[0]] else { continue }
                let people: Int = row[2]
                counts[key, default: Counts()].migrants += people
                counts[key, default: Counts()].origins[row[1], default: 0] += people
            }
            // The edge years, by date of birth: two ranges of `population_birthday`, read in
            // its key order (schema version 11).
            for row in try db.cachedRows(sql: """
                SELECT grid, sum(CASE WHEN born > ? THEN people ELSE 0 END), sum(CASE WHEN born <= ? THEN people ELSE 0 END)
                FROM (SELECT born, grid, people FROM population_birthday WHERE born > ? AND born < ?
                      UNION ALL
                      SELECT born, grid, people FROM population_birthday WHERE born >= ? AND born <= ?)
                GROUP BY grid
                """, arguments: [edges.under15, edges.over60, edges.under15, edges.afterYear15, edges.year60, edges.over60]) {
                guard let key = areaOfGrid[row[0]] else { continue }
                counts[key, default: Counts()].children += row[1] as Int
                counts[key, default: Counts()].elderly += row[2] as Int
            }
        }
    }

    /// `now` taken back to the day of `edges`.
    private static func maintained(_ db: Database, _ selection: AreaSelection, _ edges: AgeEdges, from now: Now,
                                   settings: RegistrySettings) throws -> PopulationTally {
        var counts = now.counts
        // Open residences that began after the day are taken away, closed ones that ended
        // after it (and began by it) are put back.
        // `+moved_in`: the closed residences are found by when they ended (`residence_dates`),
        // never through the move-in index, which would read every residence begun by the day
        // (measured: 0.10 s instead of 0.001 s at 1M for the last day, 0.35 s instead of
        // 0.27 s for a day 15 months back).
        try apply("""
            SELECT unit, resident, -1 AS sign FROM residence WHERE moved_out IS NULL AND moved_in > ?
            UNION ALL
            SELECT unit, resident, 1 FROM residence WHERE moved_out > ? AND +moved_in <= ?
            """, arguments: [edges.day, edges.day, edges.day], to: &counts, db, selection, edges, settings: settings)
        return PopulationTally(byArea: counts, of: selection, way: .now)
    }

    /// The people living on the first day of `day`'s month, or of the latest month taken
    /// before it, with the residences that began after that first day and by the day added
    /// and those that ended in between taken away.
    static func fromMonth(_ db: Database, _ selection: AreaSelection, on day: CivilDate, settings: RegistrySettings) throws -> PopulationTally? {
        let edges = AgeEdges(day)
        guard let month = try month(db, edges) else { return nil }
        return try fromMonth(db, selection, edges, month: month, settings: settings)
    }

    /// The first day of the latest month taken on or before the day of `edges`.
    private static func month(_ db: Database, _ edges: AgeEdges) throws -> String? {
        try String.fetchOne(db, sql: "SELECT max(month) FROM population_month_taken WHERE month <= ?", arguments: [edges.day])
    }

    private static func fromMonth(_ db: Database, _ selection: AreaSelection, _ edges: AgeEdges, month: String,
                                  settings: RegistrySettings) throws -> PopulationTally {
        let areaOfGrid = try Self.areaOfGrid(db, selection)
        var counts: [String: Counts] = [:]
        // The month's rows come grid by grid (the table's key is month, grid, facet, value):
        // a grid's rows are added up in `grid` and given to its area when the next grid's
        // begin, so that the grid's code becomes a `String` and is looked up once a grid, not
        // once a row, and a province is a number. (Rows in another order would only hand
        // over more often.) The band of a date of birth (the two edge months) is decided by
        // the day.
        var grid = GridRows()
        let under15 = Array(edges.under15.utf8), over60 = Array(edges.over60.utf8)
        let young = Array("young".utf8), old = Array("old".utf8), male = Array("male".utf8)
        let rows = try RawStatement(db, "SELECT grid, facet, value, people FROM population_month WHERE month = ? AND people > 0")
        rows.bind(1, month)
        try rows.each { row in
            let code = row.bytes(0)
            if !grid.code.elementsEqual(code) {
                grid.handOver(to: &counts)
                grid = GridRows(code: Array(code), area: areaOfGrid[row.string(0)])
            }
            guard grid.area != nil else { return }
            let people = Int(row.int64(3))
            let value = row.bytes(2)
            switch row.bytes(1).first {
            case UInt8(ascii: "s"):
                let isMale = value.elementsEqual(male)
                grid.counts.add(people: people, male: isMale ? people : 0, female: isMale ? 0 : people,
                                children: 0, elderly: 0, migrantsFrom: nil)
            case UInt8(ascii: "o"):
                grid.counts.migrants += people
                grid.addOrigin(value, people)
            default:
                // 'young', 'old', or a date of birth (digits sort before letters: the words first).
                if value.elementsEqual(young) {
                    grid.counts.children += people
                } else if value.elementsEqual(old) {
                    grid.counts.elderly += people
                } else if under15.lexicographicallyPrecedes(value) {
                    grid.counts.children += people
                } else if !over60.lexicographicallyPrecedes(value) {
                    grid.counts.elderly += people
                }
            }
        }
        grid.handOver(to: &counts)
        try apply("""
            SELECT unit, resident, 1 AS sign FROM residence WHERE moved_in > ? AND moved_in <= ?
            UNION ALL
            SELECT unit, resident, -1 FROM residence WHERE moved_out > ? AND moved_out <= ?
            """, arguments: [month, edges.day, month, edges.day], to: &counts, db, selection, edges, settings: settings)
        return PopulationTally(byArea: counts, of: selection, way: .month)
    }

    /// One grid's rows of a month, added up before they go to its area's counts.
    struct GridRows {
        var code: [UInt8] = []
        /// The grid's area in the selection; `nil` for a grid outside it.
        var area: String?
        var counts = Counts()
        /// Migrants by a 2-digit province code's number; any other value in `counts.origins`.
        var provinces = [Int](repeating: 0, count: 100)

        mutating func addOrigin(_ value: UnsafeBufferPointer<UInt8>, _ people: Int) {
            if value.count == 2, let tens = Self.digit(value[0]), let ones = Self.digit(value[1]) {
                provinces[tens * 10 + ones] += people
            } else {
                counts.origins[String(decoding: value, as: UTF8.self), default: 0] += people
            }
        }

        private static func digit(_ byte: UInt8) -> Int? {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
        }

        /// Adds the grid's counts to its area's.
        func handOver(to counts: inout [String: Counts]) {
            guard let area else { return }
            add(to: &counts[area, default: Counts()])
        }

        private func add(to total: inout Counts) {
            total.add(counts)
            for (number, people) in provinces.enumerated() where people != 0 {
                total.origins[Self.provinceCodes[number], default: 0] += people
            }
        }

        private static let provinceCodes = (0..<100).map { $0 < 10 ? "0\($0)" : "\($0)" }
    }

    /// The area (``AreaSelection/groupKey(_:)``) of each grid in the selection.
    private static func areaOfGrid(_ db: Database, _ selection: AreaSelection) throws -> [String: String] {
        let wanted = Set(selection.areas.map { selection.groupKey($0.code) })
        var areaOfGrid: [String: String] = [:]
        try RawStatement(db, "SELECT code, community, subdistrict FROM area WHERE level = 'grid'").each { row in
            let grid = row.string(0)
            let key = selection.groupKey(grid: grid, community: row.string(1), subdistrict: row.string(2))
            if wanted.contains(key) { areaOfGrid[grid] = key }
        }
        return areaOfGrid
    }

    /// Adds to `counts` the residences `changes` selects (`unit`, `resident`, `sign`: +1 to
    /// count one in, -1 to take one out), each in its band on the day of `edges`.
    ///
    /// Read row by row: a day long past differs by hundreds of thousands of residences,
    /// which must not all be held in memory (summing them in SQL first sorts them all:
    /// measured twice as slow). Columns are read from SQLite's own buffers, each area's
    /// counts changed in place: measured 0.56 → 0.50 s for a day 15 months back at 1M.
    private static func apply(_ changes: String, arguments: StatementArguments, to counts: inout [String: Counts],
                              _ db: Database, _ selection: AreaSelection, _ edges: AgeEdges, settings: RegistrySettings) throws {
        let migrant = settings.migrantSQL(hukou: "r.hukou_code", subdistrict: "u.subdistrict")
        let rows = try RawStatement(db, """
            SELECT \(selection.groupColumn), r.sex, r.birth_date, \(migrant), substr(r.hukou_code, 1, 2), x.sign
            FROM (\(changes)) x
            JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident
            WHERE \(selection.unitCondition.sql)
            """, arguments: arguments + selection.unitCondition.arguments)
        let under15 = Array(edges.under15.utf8), over60 = Array(edges.over60.utf8), male = Array("male".utf8)
        try rows.each { row in
            let sign = Int(row.int64(5))
            let born = row.bytes(2)
            let isMale = row.bytes(1).elementsEqual(male)
            // The band on the day, from the whole date of birth.
            let child = under15.lexicographicallyPrecedes(born)
            let elder = !child && !over60.lexicographicallyPrecedes(born)
            counts[row.string(0), default: Counts()].add(
                people: sign, male: isMale ? sign : 0, female: isMale ? 0 : sign,
                children: child ? sign : 0, elderly: elder ? sign : 0,
                migrantsFrom: row.int64(3) != 0 ? row.string(4) : nil)
        }
    }

    /// Every residence read: the definition the maintained counts must agree with.
    static func scanned(_ db: Database, _ selection: AreaSelection, on day: CivilDate, settings: RegistrySettings) throws -> PopulationTally {
        let edges = AgeEdges(day)
        let migrant = settings.migrantSQL(hukou: "r.hukou_code", subdistrict: "u.subdistrict")
        let living = """
            FROM residence x
            JOIN unit u ON u.id = x.unit
            JOIN resident r ON r.id = x.resident
            WHERE x.moved_in <= ? AND (x.moved_out IS NULL OR x.moved_out > ?) AND \(selection.unitCondition.sql)
            """
        var arguments: StatementArguments = [edges.under15, edges.over60, edges.day, edges.day]
        arguments += selection.unitCondition.arguments
        var counts: [String: Counts] = [:]
        // One pass: by area and, for migrants, province (NULL for the others), summed per area
        // here (two passes, one for the counts and one for the origins, took twice as long).
        for row in try db.cachedRows(sql: """
            SELECT \(selection.groupColumn), CASE WHEN \(migrant) THEN substr(r.hukou_code, 1, 2) END, count(*),
                   sum(r.sex = 'male'), sum(r.sex = 'female'), sum(r.birth_date > ?), sum(r.birth_date <= ?)
            \(living)
            GROUP BY 1, 2
            """, arguments: arguments) {
            counts[row[0], default: Counts()].add(people: row[2], male: row[3], female: row[4], children: row[5],
                                                  elderly: row[6], migrantsFrom: row[1])
        }
        return PopulationTally(byArea: counts, of: selection, way: .scan)
    }
}
