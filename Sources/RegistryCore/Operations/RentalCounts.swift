import GRDB

/// The rental units known and registered in each area, kept per day and per month (schema
/// version 13): what `metrics.registrationRate` and `metrics.trend` read instead of every
/// rental unit.
///
/// `rental_count_day` holds each area's dated changes (+1 known on a unit's discovery, +1
/// registered on its filing, −1 of each it counted in on its closing), for its grid,
/// community, subdistrict and the county; an area's counts on a day are the sum of its
/// changes dated on or before it. `rental_count_month` holds each grid's counts on the
/// first day of the months taken, before that day's changes. The schema's triggers keep
/// both in each unit change's transaction; the schema's view `rental_count_change` is the
/// definition of the changes, which ``rebuild(_:through:)`` counts in one pass.
///
/// ```swift
/// try RentalCounts.extend(db, through: .today())          // at the start of a write
/// let perGrid = try RentalCounts.perGrid(db, under: nil, on: day)
/// ```
enum RentalCounts {
    /// The latest month taken, or `nil` before any is.
    static func latest(_ db: Database) throws -> CivilDate? {
        try RawStatement(db, "SELECT max(month) FROM rental_count_month_taken").first { $0.date(0) } ?? nil
    }

    /// Takes every month after the latest one taken through `today`'s month (only
    /// `today`'s when none is taken), each from the month before and the changes since:
    /// the first write of a month pays for it (about 10,000 grids read in a few
    /// milliseconds each month; one index lookup otherwise).
    static func extend(_ db: Database, through today: CivilDate) throws {
        let last = PopulationMonths.start(of: today)
        let latest = try latest(db)
        var month = latest?.adding(months: 1) ?? last
        var previous = latest
        while month <= last {
            try take(month, after: previous, db)
            previous = month
            month = month.adding(months: 1)
        }
    }

    /// One more month, `month` (a first day, after `previous`, the latest month taken):
    /// each grid's counts on `previous`'s first day plus its changes since, before `month`.
    /// A grid with nothing dated before `month` gets no row (it sums from its first change).
    private static func take(_ month: CivilDate, after previous: CivilDate?, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO rental_count_month_taken (month) VALUES (?)", arguments: [month.description])
        try db.execute(sql: """
            INSERT INTO rental_count_month (grid, month, known, registered)
            SELECT g.code, :month, coalesce(p.known, 0) + coalesce(sum(x.known), 0), coalesce(p.registered, 0) + coalesce(sum(x.registered), 0)
            FROM area g
            LEFT JOIN rental_count_month p ON p.grid = g.code AND p.month = :previous
            LEFT JOIN rental_count_day x ON x.area = g.code AND x.day >= coalesce(p.month, '') AND x.day < :month
            WHERE g.level = 'grid'
            GROUP BY g.code HAVING p.grid IS NOT NULL OR count(x.area) > 0
            """, arguments: ["month": month.description, "previous": previous?.description])
    }

    /// ``rebuild(_:through:)`` under a small page cache (its grouping sorts every unit's
    /// changes through SQLite's sorter): a first units import's end and `registry recount`.
    static func recountAll(_ db: Database, through today: CivilDate) throws {
        try db.withPageCache { try rebuild(db, through: today) }
    }

    /// Counts every rental unit's changes again, and every month from the earliest change's
    /// (or `today`'s, when that is later) through `today`'s: a county's first units import,
    /// the migration that made the counts, `registry recount`. One sort of the changes per
    /// grid and day, the other levels summed from the grids' rows, and the months in one
    /// walk over the grids' rows in order.
    static func rebuild(_ db: Database, through today: CivilDate) throws {
        try db.execute(sql: """
            DELETE FROM rental_count_day; DELETE FROM rental_count_month; DELETE FROM rental_count_month_taken;
            INSERT INTO rental_count_day (area, day, known, registered)
            SELECT grid, day, sum(known), sum(registered) FROM rental_count_change
            GROUP BY grid, day HAVING sum(known) <> 0 OR sum(registered) <> 0;
            """)
        for level in ["community", "subdistrict", "(SELECT county_code FROM registry)"] {
            try db.execute(sql: """
                INSERT INTO rental_count_day (area, day, known, registered)
                SELECT \(level), x.day, sum(x.known), sum(x.registered)
                FROM rental_count_day x JOIN area g ON g.code = x.area AND g.level = 'grid'
                GROUP BY 1, x.day HAVING sum(x.known) <> 0 OR sum(x.registered) <> 0
                """)
        }
        let last = PopulationMonths.start(of: today)
        let earliest = try String.fetchOne(db, sql: "SELECT min(day) FROM rental_count_day").flatMap(CivilDate.init)
        var months: [String] = []
        var month = min(earliest.map(PopulationMonths.start(of:)) ?? last, last)
        while month <= last {
            months.append(month.description)
            try db.execute(sql: "INSERT INTO rental_count_month_taken (month) VALUES (?)", arguments: [month.description])
            month = month.adding(months: 1)
        }
        // About 10,000 grids × the months at ten million residents: 64 rows a statement.
        var insert = try MultiRowInsert<(String, String, Int64, Int64)>(db, "rental_count_month (grid, month, known, registered)", width: 4) { s, at, row in
            s.bind(at + 1, row.0)
            s.bind(at + 2, row.1)
            s.bind(at + 3, row.2)
            s.bind(at + 4, row.3)
        }
        var grid = "", known: Int64 = 0, registered: Int64 = 0, next = 0
        /// Writes `grid`'s months up to the one after `day` (all of them when `nil`).
        func flush(through day: String?) throws {
            while next < months.count, day.map({ months[next] <= $0 }) ?? true {
                try insert.append((grid, months[next], known, registered))
                next += 1
            }
        }
        let rows = try RawStatement(db, """
            SELECT area, day, known, registered FROM rental_count_day
            WHERE area IN (SELECT code FROM area WHERE level = 'grid') ORDER BY area, day
            """)
        try rows.each { columns in
            let area = columns.string(0), day = columns.string(1)
            if area != grid {
                if !grid.isEmpty { try flush(through: nil) }
                grid = area
                known = 0
                registered = 0
                // Months before the grid's first change stay without a row.
                next = months.firstIndex { $0 > day } ?? months.count
            } else {
                try flush(through: day)
            }
            known += columns.int64(2)
            registered += columns.int64(3)
        }
        if !grid.isEmpty { try flush(through: nil) }
        try insert.finish()
    }

    /// Known and registered rental units of one grid on a day.
    struct GridCounts {
        var grid: String
        var community: String
        var subdistrict: String
        var counts: RateCounts
    }

    /// The counts on `date` of every grid (under `parent`, when given): the grid's row of
    /// the latest month taken on or before `date`, plus its changes from that month's first
    /// day through `date` (from its first change, without such a row).
    static func perGrid(_ db: Database, under parent: AreaRecord?, on date: CivilDate) throws -> [GridCounts] {
        let day = date.description
        let month = try String.fetchOne(db, sql: "SELECT max(month) FROM rental_count_month_taken WHERE month <= ?", arguments: [day])
        let under = parent?.descendantCondition(alias: "g") ?? (sql: "1", arguments: [])
        return try db.cachedRows(sql: """
            SELECT g.code, g.community, g.subdistrict,
                   coalesce(p.known, 0) + coalesce(sum(x.known), 0), coalesce(p.registered, 0) + coalesce(sum(x.registered), 0)
            FROM area g
            LEFT JOIN rental_count_month p ON p.grid = g.code AND p.month = ?
            LEFT JOIN rental_count_day x ON x.area = g.code AND x.day >= coalesce(p.month, '') AND x.day <= ?
            WHERE g.level = 'grid' AND \(under.sql)
            GROUP BY g.code
            """, arguments: [month, day] + under.arguments).map { row in
            GridCounts(grid: row[0], community: row[1], subdistrict: row[2], counts: RateCounts(known: row[3], registered: row[4]))
        }
    }

    /// `area`'s changes in date order.
    static func changes(_ db: Database, area: String, _ body: (_ day: String, _ known: Int, _ registered: Int) throws -> Void) throws {
        let statement = try RawStatement(db, "SELECT day, known, registered FROM rental_count_day WHERE area = ? ORDER BY day")
        statement.bind(1, area)
        try statement.each { columns in try body(columns.string(0), Int(columns.int64(1)), Int(columns.int64(2))) }
    }

    /// Rows of `rental_count_day` that a recount from the units does not give (nonzero
    /// changes only: a change undone leaves a zero row), and rows of `rental_count_month`
    /// that are not their grid's changes before the month, and months missing between the
    /// first and the latest taken. The grids' day rows are recounted from the units (one
    /// sort of the changes by grid and day); the other areas' from the grids' rows, so the
    /// units' changes are sorted once, not once per level (at 10M, 142 s for all four).
    static func mismatches(_ db: Database) throws -> Int {
        let grids = "SELECT code FROM area WHERE level = 'grid'"
        let nonzero = "HAVING sum(known) <> 0 OR sum(registered) <> 0"
        let storedGrids = "SELECT area, day, known, registered FROM rental_count_day WHERE (known <> 0 OR registered <> 0) AND area IN (\(grids))"
        let recountedGrids = "SELECT grid, day, sum(known), sum(registered) FROM rental_count_change GROUP BY grid, day \(nonzero)"
        let storedOthers = "SELECT area, day, known, registered FROM rental_count_day WHERE (known <> 0 OR registered <> 0) AND area NOT IN (\(grids))"
        let summedOthers = """
            SELECT area, day, sum(known), sum(registered) FROM (
                SELECT CASE l.level WHEN 'community' THEN g.community WHEN 'subdistrict' THEN g.subdistrict ELSE r.county_code END AS area,
                       x.day, x.known, x.registered
                FROM rental_count_day x JOIN area g ON g.code = x.area AND g.level = 'grid' JOIN registry r
                CROSS JOIN (SELECT 'community' AS level UNION ALL SELECT 'subdistrict' UNION ALL SELECT 'county') l)
            GROUP BY area, day \(nonzero)
            """
        var days = 0
        for (stored, counted) in [(storedGrids, recountedGrids), (storedOthers, summedOthers)] {
            days += try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM (\(stored) EXCEPT \(counted))) + (SELECT count(*) FROM (\(counted) EXCEPT \(stored)))") ?? 0
        }
        // A month's row sorts before the same day's changes: it counts those before it.
        let months = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM (
                SELECT kind, known, registered,
                       sum(CASE kind WHEN 1 THEN known ELSE 0 END) OVER running AS k,
                       sum(CASE kind WHEN 1 THEN registered ELSE 0 END) OVER running AS r
                FROM (SELECT 0 AS kind, grid, month AS at, known, registered FROM rental_count_month
                      UNION ALL
                      SELECT 1, area, day, known, registered FROM rental_count_day WHERE area IN (SELECT code FROM area WHERE level = 'grid'))
                WINDOW running AS (PARTITION BY grid ORDER BY at, kind ROWS UNBOUNDED PRECEDING))
            WHERE kind = 0 AND (known <> k OR registered <> r)
            """) ?? 0
        let gaps = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM rental_count_month_taken m
            WHERE m.month > (SELECT min(month) FROM rental_count_month_taken)
              AND NOT EXISTS (SELECT 1 FROM rental_count_month_taken p WHERE p.month = date(m.month, '-1 month'))
            """) ?? 0
        return days + months + gaps
    }
}
