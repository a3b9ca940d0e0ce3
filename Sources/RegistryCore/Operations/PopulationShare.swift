import GRDB

/// The shares a newly opened residence adds to the maintained `population` counts: one for
/// the person's sex, one for their year of birth, and, for a migrant, one for the province of
/// their hukou code — the same rows as the schema's `population_share` view gives for it —
/// and one for their date of birth in `population_birthday` (`population_birthday_share`).
///
/// Closing, reopening and removing residences, and a changed profile, are counted by the
/// schema's triggers; only the insert is the registry's own (schema version 10), because
/// any trigger on `INSERT INTO residence` makes SQLite keep a statement journal for every
/// registration: measured, a quarter of the durable write rate. Every code path that
/// inserts an open residence calls ``add(person:unit:pending:in:)`` right after the insert,
/// in the same transaction; the randomized comparison with a full recount holds them to
/// the view, and `registry check` recounts.
///
/// ```swift
/// try insertResidence.run()
/// try PopulationShare.add(person: person, unit: unit, in: context)
/// ```
enum PopulationShare {
    private static let upsert: StaticString = """
        INSERT INTO population (grid, facet, value, people) VALUES (?, ?, ?, 1)
        ON CONFLICT (grid, facet, value) DO UPDATE SET people = people + 1
        """

    private static let birthdayUpsert: StaticString = """
        INSERT INTO population_birthday (born, grid, people) VALUES (?, ?, 1)
        ON CONFLICT (born, grid) DO UPDATE SET people = people + 1
        """

    /// Counts `person` as living in `unit`'s grid from now on: the date of birth at once,
    /// the other shares at once too or, when `pending` is holding, there until it is
    /// flushed (the date of birth is one row per person anyway).
    /// (Both statements are the transaction's kept ones: every parameter is bound.)
    static func add(person: ResidentRecord, unit: UnitRecord, pending: PendingShares? = nil, in context: OperationContext) throws {
        let birthday = try context.kept.statement(birthdayUpsert, in: context.db)
        birthday.bind(1, person.birthDate.description)
        birthday.bind(2, unit.grid)
        try birthday.run()
        try count(unit.grid, "sex", person.sex.rawValue, pending, context)
        try count(unit.grid, "born", String(person.birthDate.description.prefix(4)), pending, context)
        if context.settings.isMigrant(hukouCode: person.hukouCode, subdistrict: unit.subdistrict) {
            try count(unit.grid, "origin", String(person.hukouCode.prefix(2)), pending, context)
        }
    }

    private static func count(_ grid: String, _ facet: String, _ value: String, _ pending: PendingShares?, _ context: OperationContext) throws {
        if let pending, pending.holding { return pending.add(PendingShares.Key(grid: grid, facet: facet, value: value)) }
        let statement = try context.kept.statement(upsert, in: context.db)
        statement.bind(1, grid)
        statement.bind(2, facet)
        statement.bind(3, value)
        try statement.run()
    }
}
