import GRDB

/// The people living in each grid on the first day of each month (`population_month`,
/// schema version 12): where `analysis.demographics` starts for a day long past, so that it
/// reads one month's rows and the residences that began or ended between that month's
/// first day and the day, instead of every residence of the time.
///
/// Rows per month and grid: `sex` (`male`, `female`), `origin` (a migrant's hukou province),
/// and `age`: `young` for the people under 15 on every day of the month, `old` for those 60
/// or more on every day of it, and the date of birth itself for the people born in the two
/// calendar months whose 15th and 60th birthdays fall in the month. The schema's views
/// (`population_month_facets`, `population_month_share`) are the definition; ``Sweep``
/// computes the same rows in one pass over the residences.
///
/// Kept in each change's transaction: the schema's triggers for closed, changed and removed
/// residences and changed profiles, ``add(residence:movedIn:taken:_:)`` for a new residence. A
/// change dated after the latest month's first day touches nothing: almost every
/// registration. ``extend(_:through:)`` takes the months that began since the last write,
/// ``rebuild(_:through:now:)`` all of them (a first import, the migration, `registry recount`).
///
/// ```swift
/// try PopulationMonths.extend(db, through: .today())     // at the start of a write
/// try insertResidence.run()
/// try PopulationMonths.add(residence: db.lastInsertedRowID, movedIn: "2025-03-02", taken: context.monthsTaken, db)
/// ```
enum PopulationMonths {
    /// The first day of `date`'s month.
    static func start(of date: CivilDate) -> CivilDate {
        CivilDate(year: date.year, month: date.month, day: 1)!
    }

    /// The latest month taken, or `nil` before any is.
    static func latest(_ db: Database) throws -> CivilDate? {
        try RawStatement(db, "SELECT max(month) FROM population_month_taken").first { $0.date(0) } ?? nil
    }

    private static let anyMonthFrom = "SELECT EXISTS (SELECT 1 FROM population_month_taken WHERE month >= ?)"
    private static let addShares = """
        INSERT INTO population_month (month, grid, facet, value, people)
        SELECT month, grid, facet, value, 1 FROM population_month_share WHERE residence = ?
        ON CONFLICT (month, grid, facet, value) DO UPDATE SET people = people + 1
        """

    /// The latest month taken, as a write transaction found it after taking the months begun
    /// since the last write: a registration dated after it (or any, when there is none)
    /// touches no month, which it then knows without a query. Only that transaction's own
    /// ``rebuild(_:through:now:)`` changes the months afterwards (a first import's end,
    /// `registry recount`), and neither adds a residence after it.
    final class Taken {
        /// `.some(nil)`: no month taken; `nil`: not read (then ``add(residence:movedIn:taken:_:)`` asks the table).
        var latest: String??
    }

    /// Counts the residence just inserted as `id` in every month taken whose first day it was
    /// open on; `movedIn` is its move-in date. Nothing to do, and no query, when it moved in
    /// after the latest month's first day (``Taken``).
    /// - Returns: whether any month was taken by then (and so counted it).
    @discardableResult
    static func add(residence id: Int64, movedIn: String, taken: Taken, _ db: Database) throws -> Bool {
        if case let .some(latest) = taken.latest {
            guard let latest, movedIn <= latest else { return false }
        } else {
            let probe = try RawStatement(db, anyMonthFrom)
            probe.bind(1, movedIn)
            guard try probe.first({ $0.int64(0) != 0 }) == true else { return false }
        }
        let statement = try RawStatement(db, addShares)
        statement.bind(1, id)
        try statement.run()
        return true
    }

    /// The months kept through a bulk load into a registry with people in it: each new
    /// residence dated before the latest month's first day is added as it comes, until that
    /// would cost more than building all months again in one pass; then the months are
    /// built again once, at the end.
    ///
    /// Costs in units of about 5 µs: building again, one per residence already there
    /// (``Sweep``: about 5 s at a million; the budget is at least 20,000, a tenth of a
    /// second, for a small county); adding a residence, six plus one per month it
    /// is counted in (a query of the shares, then some four rows a month). A weekly file of
    /// residences begun last month costs seven each and never rebuilds; residences begun
    /// years ago cost a hundred or more each. Adding stops once the budget is spent, so
    /// the load pays at most about twice the cheaper way.
    final class Batch {
        private var budget: Int
        private var rebuildNeeded = false
        /// The latest month taken (`nil`: none, so nothing to add).
        private let latest: CivilDate?

        init(_ db: Database) throws {
            budget = max(20_000, try Int.fetchOne(db, sql: "SELECT max(id) FROM residence") ?? 0)
            latest = try PopulationMonths.latest(db)
        }

        /// What adding a residence that moved in on `movedIn` costs: nothing after the
        /// latest month's first day, else six plus the months taken since it moved in.
        static func cost(movedIn: CivilDate, latest: CivilDate?) -> Int {
            guard let latest, movedIn <= latest else { return 0 }
            let months = (latest.year * 12 + latest.month) - (movedIn.year * 12 + movedIn.month) + (movedIn.day == 1 ? 1 : 0)
            return 6 + months
        }

        /// ``PopulationMonths/add(residence:movedIn:taken:_:)``, or nothing once the months are to be built again.
        func add(residence id: Int64, movedIn: CivilDate, taken: Taken, _ db: Database) throws {
            guard !rebuildNeeded else { return }
            let cost = Self.cost(movedIn: movedIn, latest: latest)
            guard cost > 0 else { return }
            budget -= cost
            guard budget >= 0 else {
                rebuildNeeded = true
                return
            }
            try PopulationMonths.add(residence: id, movedIn: movedIn.description, taken: taken, db)
        }

        /// Builds the months again if the load was too large to add one by one.
        func finish(_ db: Database, through today: CivilDate) throws {
            if rebuildNeeded { try PopulationMonths.rebuild(db, through: today) }
        }
    }

    /// Takes every month after the latest one taken, through `today`'s month, each from the
    /// counts kept for now less the residences that changed after its first day (cheap for
    /// a recent month). Nothing while no month is taken: the months are first built from the
    /// residences (``rebuild(_:through:)``) by the migration that made them, by a first
    /// import, and by `registry recount` — not by a write, which would then make every
    /// later registration dated in the past count itself in each month since (a registry
    /// filled through JSON-RPC with years of history would pay that on every request).
    /// - Returns: the latest month taken afterwards, `nil` when there is none.
    @discardableResult
    static func extend(_ db: Database, through today: CivilDate) throws -> CivilDate? {
        let last = start(of: today)
        guard let latest = try latest(db) else { return nil }
        var month = latest.adding(months: 1)
        while month <= last {
            try take(month, db)
            month = month.adding(months: 1)
        }
        return month.adding(months: -1)   // the last one taken, or `latest` when none was
    }

    /// One more month, `month` (a first day, after the latest month taken), from `population`
    /// and `population_birthday` less what changed after its first day.
    static func take(_ month: CivilDate, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO population_month_taken (month) VALUES (?)", arguments: [month.description])
        let next = month.adding(months: 1)
        let w15 = month.adding(years: -15), n15 = next.adding(years: -15)
        let w60 = month.adding(years: -60), n60 = next.adding(years: -60)
        let yearAfterN15 = CivilDate(year: n15.year + 1, month: 1, day: 1)!
        let yearOfW60 = CivilDate(year: w60.year, month: 1, day: 1)!
        func year(_ date: CivilDate) -> String { String(date.description.prefix(4)) }
        // Young: born on or after n15 (whole years after n15's, and n15's year from its date
        // on); old: born before w60 (whole years before w60's, and w60's year up to it).
        try db.execute(sql: """
            INSERT INTO population_month (month, grid, facet, value, people)
            SELECT :month, grid, facet, value, sum(people) FROM (
                SELECT grid, facet, value, people FROM population WHERE facet = 'sex' OR facet = 'origin'
                UNION ALL SELECT grid, 'age', 'young', people FROM population WHERE facet = 'born' AND value > :yearN15
                UNION ALL SELECT grid, 'age', 'young', people FROM population_birthday WHERE born >= :n15 AND born < :yearAfterN15
                UNION ALL SELECT grid, 'age', born, people FROM population_birthday WHERE born >= :w15 AND born < :n15
                UNION ALL SELECT grid, 'age', born, people FROM population_birthday WHERE born >= :w60 AND born < :n60
                UNION ALL SELECT grid, 'age', 'old', people FROM population WHERE facet = 'born' AND value < :yearW60
                UNION ALL SELECT grid, 'age', 'old', people FROM population_birthday WHERE born >= :yearOfW60 AND born < :w60
                UNION ALL SELECT grid, facet, value, -1 FROM population_month_facets
                    WHERE month = :month AND residence IN (SELECT id FROM residence WHERE moved_out IS NULL AND moved_in > :month)
                UNION ALL SELECT grid, facet, value, 1 FROM population_month_facets
                    WHERE month = :month AND residence IN (SELECT id FROM residence WHERE moved_out > :month AND +moved_in <= :month))
            GROUP BY grid, facet, value HAVING sum(people) > 0
            """, arguments: ["month": month.description, "yearN15": year(n15), "n15": n15.description,
                             "yearAfterN15": yearAfterN15.description, "w15": w15.description, "w60": w60.description,
                             "n60": n60.description, "yearW60": year(w60), "yearOfW60": yearOfW60.description])
    }

    /// Counts everyone living now (`population`, `population_birthday`) and on each month's
    /// first day again from the residences, in one pass. A first import's end and `registry
    /// recount`.
    static func recountAll(_ db: Database, through today: CivilDate) throws {
        try db.withPageCache {
            try rebuild(db, through: today, now: true)
        }
    }

    /// Makes every month from the earliest residence's through `today`'s again, in one pass
    /// over the residences (``Sweep``); with `now`, the counts of the people living now
    /// (`population`, `population_birthday`) too, in the same pass.
    static func rebuild(_ db: Database, through today: CivilDate, now: Bool = false) throws {
        try db.execute(sql: "DELETE FROM population_month; DELETE FROM population_month_taken")
        if now { try db.execute(sql: "DELETE FROM population; DELETE FROM population_birthday") }
        let earliest = try String.fetchOne(db, sql: "SELECT min(moved_in) FROM residence").flatMap(CivilDate.init)
        let sweep = earliest.map { Sweep(first: start(of: $0), last: start(of: today)) } ?? Sweep(first: start(of: today), last: start(of: today).adding(days: -1))
        for month in sweep.months {
            try db.execute(sql: "INSERT INTO population_month_taken (month) VALUES (?)", arguments: [month])
        }
        // A million rows and more at a million residents: many a statement.
        var insert = try MultiRowInsert<Sweep.Row>(db, "population_month (month, grid, facet, value, people)", width: 5) { s, at, row in
            s.bind(at + 1, row.month)
            s.bind(at + 2, row.grid)
            s.bind(at + 3, row.facet)
            s.bind(at + 4, row.value)
            s.bind(at + 5, Int64(row.people))
        }
        var insertNow = try MultiRowInsert<(String, String, String, Int)>(db, "population (grid, facet, value, people)", width: 4) { s, at, row in
            s.bind(at + 1, row.0)
            s.bind(at + 2, row.1)
            s.bind(at + 3, row.2)
            s.bind(at + 4, Int64(row.3))
        }
        var insertBirthday = try MultiRowInsert<(String, String, Int)>(db, "population_birthday (born, grid, people)", width: 3) { s, at, row in
            s.bind(at + 1, row.0)
            s.bind(at + 2, row.1)
            s.bind(at + 3, Int64(row.2))
        }
        try sweep.run(db, now: !now ? nil : Sweep.Now(counts: { grid, facet, value, people in
            try insertNow.append((grid, facet, value, people))
        }, birthdays: { born, grid, people in
            try insertBirthday.append((born, grid, people))
        })) { row in
            try insert.append(row)
        }
        try insert.finish()
        try insertNow.finish()
        try insertBirthday.finish()
    }

    /// The `(month, grid)` pairs whose rows a recount from the residences (``Sweep``) gives
    /// otherwise (rows of a month not taken among them), and the months missing between the
    /// first and the latest taken: 0 when
    /// the triggers and the registry kept them right. The sweep's rows come in the table's
    /// key order, and are compared with the table read in that order, side by side: nothing
    /// is stored (at ten million residents the months hold about 13 million rows).
    static func mismatches(_ db: Database) throws -> Int {
        guard let range = try Row.fetchOne(db, sql: "SELECT min(month), max(month), count(*) FROM population_month_taken"),
              let first = (range[0] as String?).flatMap(CivilDate.init), let last = (range[1] as String?).flatMap(CivilDate.init)
        else { return 0 }
        let sweep = Sweep(first: first, last: last)
        let gaps = sweep.months.count - (range[2] as Int)
        let kept = try RawStatement(db, """
            SELECT month, grid, facet, value, people FROM population_month WHERE people > 0 ORDER BY month, grid, facet, value
            """)
        func read() throws -> Sweep.Row? {
            try kept.next { Sweep.Row(month: $0.string(0), grid: $0.string(1), facet: $0.string(2), value: $0.string(3),
                                      people: Int32(clamping: $0.int64(4))) }
        }
        var differing = Set<String>()
        var next = try read()
        try sweep.run(db) { expected in
            // Rows the table has before the expected one are rows a recount does not give.
            while let row = next, row.key.lexicographicallyPrecedes(expected.key) {
                differing.insert(row.month + " " + row.grid)
                next = try read()
            }
            if let row = next, row.key == expected.key {
                if row.people != expected.people { differing.insert(row.month + " " + row.grid) }
                next = try read()
            } else {
                differing.insert(expected.month + " " + expected.grid)
            }
        }
        while let row = next {
            differing.insert(row.month + " " + row.grid)
            next = try read()
        }
        return gaps + differing.count
    }

    /// The months' rows computed from the residences in one pass, in the table's order.
    ///
    /// Each residence adds to the months whose first day it was open on, by difference
    /// arrays: one array of months for each grid and row (`sex`, `origin` by province,
    /// `age` young and old), and the few dates of birth of the edge months apart. The
    /// residences are read in their own order (reading them grid by grid through the unit
    /// index took twice as long: every row a seek), and the rows are written month by month,
    /// grid by grid, as the table's key sorts them (appends; grid by grid they went to a
    /// hundred places of the table: 2.1 s instead of 1.2 s for 1.3 million rows). Memory:
    /// 4 bytes per grid, row and month (about 6 MB at a million residents in 1,008 grids).
    struct Sweep {
        /// The months' first days, as text.
        let months: [String]
        /// `year × 12 + month − 1` of the first month.
        private let firstMonthNumber: Int

        init(first: CivilDate, last: CivilDate) {
            firstMonthNumber = first.year * 12 + first.month - 1
            var months: [String] = []
            var month = first
            while month <= last {
                months.append(month.description)
                month = month.adding(months: 1)
            }
            self.months = months
        }

        /// The index of the first month whose first day is on or after `date` (`months.count`
        /// when there is none).
        private func index(onOrAfter date: CivilDate) -> Int {
            let number = date.year * 12 + date.month - 1 - firstMonthNumber + (date.day > 1 ? 1 : 0)
            return min(max(number, 0), months.count)
        }

        /// The rows of the grids as they are read: arrays of `width` months (one more than
        /// the months, for the difference that ends at the last), differences until
        /// ``finish()`` sums them.
        private struct Counts {
            let width: Int
            /// The grids' codes, in the order first seen.
            var grids: [String] = []
            var gridIndex: [String: Int] = [:]
            /// Per grid, four arrays: male, female, young, old.
            var fixed: [Int32] = []
            /// Per grid, the province (two digits as a number) → its array's offset in `originCounts`.
            var origins: [[Int: Int]] = []
            var originCounts: [Int32] = []
            /// The edge months' people, one entry each: month index, grid, day of birth
            /// (``Births``). A dictionary per month and grid had been a million small
            /// dictionaries at ten million residents (most of a 909 MB peak).
            var edgeBirths: [UInt64] = []

            static let male = 0, female = 1, young = 2, old = 3

            mutating func grid(_ code: UnsafeBufferPointer<UInt8>) -> Int {
                let code = String(decoding: code, as: UTF8.self)
                if let index = gridIndex[code] { return index }
                gridIndex[code] = grids.count
                grids.append(code)
                fixed.append(contentsOf: repeatElement(0, count: 4 * width))
                origins.append([:])
                return grids.count - 1
            }

            mutating func add(grid: Int, row: Int, from start: Int, to end: Int) {
                guard start < end else { return }
                let base = (grid * 4 + row) * width
                fixed[base + start] += 1
                fixed[base + end] -= 1
            }

            mutating func add(grid: Int, province: Int, from start: Int, to end: Int) {
                guard start < end else { return }
                let base: Int
                if let offset = origins[grid][province] {
                    base = offset
                } else {
                    base = originCounts.count
                    originCounts.append(contentsOf: repeatElement(0, count: width))
                    origins[grid][province] = base
                }
                originCounts[base + start] += 1
                originCounts[base + end] -= 1
            }

            /// Differences to counts.
            mutating func finish() {
                for base in stride(from: 0, to: fixed.count, by: width) {
                    for i in 1..<width { fixed[base + i] += fixed[base + i - 1] }
                }
                for base in stride(from: 0, to: originCounts.count, by: width) {
                    for i in 1..<width { originCounts[base + i] += originCounts[base + i - 1] }
                }
            }
        }

        /// Each unit's grid (an index into the counts' grids), by the unit's row id, and each
        /// grid's subdistrict (the migrant rule's other operand): 4 bytes a unit.
        private struct UnitGrids {
            private var byId: [Int32] = []
            private var sparse: [Int64: Int32] = [:]
            var subdistricts: [[UInt8]] = []

            init(_ db: Database, counts: inout Counts) throws {
                let (count, maxId) = try GRDB.Row.fetchOne(db, sql: "SELECT count(*), coalesce(max(id), 0) FROM unit")
                    .map { ($0[0] as Int64, $0[1] as Int64) } ?? (0, 0)
                // Row ids are SQLite's own, 1 upward; a far larger one (written behind the
                // registry's back) must not make a huge array.
                let dense = maxId >= 0 && maxId <= 2 * count + 1_000_000
                if dense { byId = Array(repeating: -1, count: Int(maxId) + 1) }
                let units = try RawStatement(db, "SELECT id, grid, subdistrict FROM unit")
                var subdistricts = self.subdistricts
                try units.each { row in
                    let grid = counts.grid(row.bytes(1))
                    if grid == subdistricts.count { subdistricts.append(Array(row.bytes(2))) }
                    if dense { byId[Int(row.int64(0))] = Int32(grid) } else { sparse[row.int64(0)] = Int32(grid) }
                }
                self.subdistricts = subdistricts
            }

            func grid(ofUnit id: Int64) -> Int? {
                if !byId.isEmpty {
                    guard id >= 0 && id < byId.count, byId[Int(id)] >= 0 else { return nil }
                    return Int(byId[Int(id)])
                }
                return sparse[id].map(Int.init)
            }
        }

        /// One row of `population_month`.
        struct Row {
            var month, grid, facet, value: String
            var people: Int32
            /// The table's key, in its order (SQLite's binary collation: bytes).
            var key: [String] { [month, grid, facet, value] }
        }

        /// Where the counts of the people living now go, when a pass makes them too: rows of
        /// `population` (grid, facet, value, people) and of `population_birthday` (born, grid,
        /// people), each in its table's key order.
        struct Now {
            var counts: (String, String, String, Int) throws -> Void
            var birthdays: (String, String, Int) throws -> Void
        }

        /// The counts of the open residences, as `population` holds them: the same pass serves
        /// a first import and `registry recount`, which need both (a second pass of SQLite's
        /// own, grouping and sorting, took 3.9 s at a million residents).
        private struct OpenCounts {
            var male: [Int] = [], female: [Int] = []
            var born: [[Int: Int]] = [], origins: [[Int: Int]] = []
            /// One entry per person: day of birth (high bits) and grid index, as
            /// `population_birthday` sorts once the index is replaced by the grid's rank.
            var birthdays: [UInt64] = []

            mutating func add(grid: Int, isMale: Bool, born year: Int, province: Int?) {
                while male.count <= grid {
                    male.append(0)
                    female.append(0)
                    born.append([:])
                    origins.append([:])
                }
                if isMale { male[grid] += 1 } else { female[grid] += 1 }
                born[grid][year, default: 0] += 1
                if let province { origins[grid][province, default: 0] += 1 }
            }
        }

        /// Births packed in one 64-bit number that sorts as the rows must: a high part (the
        /// month index), the grid's rank among the grids' codes (24 bits), and the
        /// day of birth (22 bits, ``CivilDate/dayNumber`` + 1,000,000). Read with the grid's
        /// index in place of its rank, which is known only once every grid is seen.
        private enum Births {
            static let dayBits: UInt64 = 22, gridBits: UInt64 = 24
            static func pack(high: Int, grid: Int, born: CivilDate) -> UInt64 {
                UInt64(high) << (dayBits + gridBits) | UInt64(grid) << dayBits | UInt64(born.dayNumber + 1_000_000)
            }
            static func high(_ packed: UInt64) -> Int { Int(packed >> (dayBits + gridBits)) }
            static func grid(_ packed: UInt64) -> Int { Int((packed >> dayBits) & (1 << gridBits - 1)) }
            static func born(_ packed: UInt64) -> CivilDate { CivilDate(dayNumber: Int(packed & (1 << dayBits - 1)) - 1_000_000) }
            /// The same births with each grid index replaced by its rank, sorted.
            static func ranked(_ births: [UInt64], rank: [Int]) -> [UInt64] {
                births.map { packed in
                    UInt64(high(packed)) << (dayBits + gridBits) | UInt64(rank[grid(packed)]) << dayBits | (packed & (1 << dayBits - 1))
                }.sorted()
            }
        }

        /// Computes every month's rows and hands them to `emit`, in the table's key order;
        /// given `now`, hands it the rows of `population` and `population_birthday` too,
        /// before the months'.
        ///
        /// Each residence's grid and migrant judgement are those of the schema's
        /// `population_residence` view, but the units are read first, in their own order, into
        /// an array by row id, and the residences then joined only to their people: joined
        /// to their units, every residence was a random read of the unit table, which inside
        /// a first import's transaction is a search of the import's whole WAL index for each
        /// page missed (at ten million residents, 293 s of the import's recount against
        /// 113 s for `registry recount` on the committed file).
        func run(_ db: Database, now: Now? = nil, emit: (Row) throws -> Void) throws {
            var counts = Counts(width: months.count + 1)
            var open = OpenCounts()
            guard let registry = try GRDB.Row.fetchOne(db, sql: "SELECT county_code, migrant_scope FROM registry WHERE id = 1") else { return }
            let county = Array((registry[0] as String).utf8)
            let scope = MigrantScope(rawValue: registry[1]) ?? .county
            let units = try UnitGrids(db, counts: &counts)
            let residences = try RawStatement(db, """
                SELECT x.unit, x.moved_in, x.moved_out, r.sex, r.birth_date, r.hukou_code
                FROM residence x CROSS JOIN resident r ON r.id = x.resident
                """)
            let male = Array("male".utf8)
            try residences.each { row in
                guard let movedIn = CivilDate(isoBytes: row.bytes(1)), let born = CivilDate(isoBytes: row.bytes(4)),
                      let grid = units.grid(ofUnit: row.int64(0))
                else { return }
                let isMale = row.bytes(3).elementsEqual(male)
                let hukou = row.bytes(5)
                let province = hukou.count >= 2 && scope.isMigrant(hukouCode: hukou, subdistrict: units.subdistricts[grid], county: county)
                    ? Int(hukou[0]) * 10 + Int(hukou[1]) - 528 : nil
                if now != nil && row.isNull(2) {
                    open.add(grid: grid, isMale: isMale, born: born.year, province: province)
                    open.birthdays.append(UInt64(born.dayNumber + 1_000_000) << 24 | UInt64(grid))
                }
                let from = index(onOrAfter: movedIn)
                let to = row.isNull(2) ? months.count : CivilDate(isoBytes: row.bytes(2)).map(index(onOrAfter:)) ?? months.count
                guard from < to else { return }
                counts.add(grid: grid, row: isMale ? Counts.male : Counts.female, from: from, to: to)
                if let province { counts.add(grid: grid, province: province, from: from, to: to) }
                // Month i's band: young while its number ≤ the birth month's + 179, the date
                // of birth at + 180 and + 720, old from + 721.
                let birthMonth = born.year * 12 + born.month - 1 - firstMonthNumber
                counts.add(grid: grid, row: Counts.young, from: from, to: min(to, birthMonth + 180))
                for edge in [birthMonth + 180, birthMonth + 720] where (from..<to).contains(edge) {
                    counts.edgeBirths.append(Births.pack(high: edge, grid: grid, born: born))
                }
                counts.add(grid: grid, row: Counts.old, from: max(from, birthMonth + 721), to: to)
            }
            counts.finish()

            func write(_ month: String, _ grid: String, _ facet: String, _ value: String, _ people: Int32) throws {
                if people > 0 { try emit(Row(month: month, grid: grid, facet: facet, value: value, people: people)) }
            }
            let grids = counts.grids.indices.sorted { counts.grids[$0] < counts.grids[$1] }
            var rank = Array(repeating: 0, count: grids.count)
            for (position, grid) in grids.enumerated() { rank[grid] = position }
            func twoDigits(_ province: Int) -> String { province < 10 ? "0\(province)" : String(province) }
            if let now {
                for grid in grids where grid < open.male.count {
                    let code = counts.grids[grid]
                    for (year, people) in open.born[grid].sorted(by: { $0.key < $1.key }) {
                        let text = String(year)
                        try now.counts(code, "born", String(repeating: "0", count: max(0, 4 - text.count)) + text, people)
                    }
                    for (province, people) in open.origins[grid].sorted(by: { $0.key < $1.key }) {
                        try now.counts(code, "origin", twoDigits(province), people)
                    }
                    if open.female[grid] > 0 { try now.counts(code, "sex", "female", open.female[grid]) }
                    if open.male[grid] > 0 { try now.counts(code, "sex", "male", open.male[grid]) }
                }
                // Grid indexes to ranks in place, then (born, grid) order: runs of equal entries.
                let gridMask: UInt64 = 1 << 24 - 1
                for i in open.birthdays.indices {
                    open.birthdays[i] = open.birthdays[i] & ~gridMask | UInt64(rank[Int(open.birthdays[i] & gridMask)])
                }
                open.birthdays.sort()
                var b = 0
                while b < open.birthdays.count {
                    var end = b + 1
                    while end < open.birthdays.count && open.birthdays[end] == open.birthdays[b] { end += 1 }
                    let born = CivilDate(dayNumber: Int(open.birthdays[b] >> 24) - 1_000_000)
                    try now.birthdays(born.description, counts.grids[grids[Int(open.birthdays[b] & gridMask)]], end - b)
                    b = end
                }
                open.birthdays = []
            }
            let provinces = counts.origins.map { $0.sorted { $0.key < $1.key } }
            let width = counts.width
            let edges = Births.ranked(counts.edgeBirths, rank: rank)
            counts.edgeBirths = []
            var e = 0   // the next edge birth, in (month, grid rank, day) order, as the loops go
            for (i, month) in months.enumerated() {
                for (position, grid) in grids.enumerated() {
                    let code = counts.grids[grid], base = grid * 4 * width + i
                    while e < edges.count && Births.high(edges[e]) == i && Births.grid(edges[e]) == position {
                        var end = e + 1
                        while end < edges.count && edges[end] == edges[e] { end += 1 }
                        try write(month, code, "age", Births.born(edges[e]).description, Int32(end - e))
                        e = end
                    }
                    try write(month, code, "age", "old", counts.fixed[base + Counts.old * width])
                    try write(month, code, "age", "young", counts.fixed[base + Counts.young * width])
                    for (province, offset) in provinces[grid] {
                        try write(month, code, "origin", twoDigits(province), counts.originCounts[offset + i])
                    }
                    try write(month, code, "sex", "female", counts.fixed[base + Counts.female * width])
                    try write(month, code, "sex", "male", counts.fixed[base + Counts.male * width])
                }
            }
        }
    }
}
