import GRDB

/// The `population` triggers set aside while a registry with nobody living in it yet is
/// loaded in bulk (a county's first import), and the counts made once at the end instead.
///
/// Each triggering insert makes three upserts of `population` (and SQLite's per-trigger
/// work): counting a million residents one by one added about 24 s to a 50 s import,
/// counting them in one pass at the end about 5 s. Only for a first load:
/// after a small import into a large county, a recount would cost more than the triggers.
/// Inside the import's transaction (``DeferredSchema``): other connections never see the
/// triggers gone, and a refused import puts them back by rolling back.
struct SuspendedPopulationCounts {
    private let triggers: DeferredSchema

    /// Whether no residence is open: the registry awaits its first load.
    static func nobodyLives(_ db: Database) throws -> Bool {
        try !(Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM residence WHERE moved_out IS NULL)") ?? true)
    }

    /// Drops the triggers when no residence is open; `nil` (and nothing done) otherwise.
    static func suspendIfNobodyLives(in group: Registry.Group) throws(RegistryError) -> SuspendedPopulationCounts? {
        let names = try storageErrors { () throws -> [String]? in
            guard try nobodyLives(group.db) else { return nil }
            return try String.fetchAll(group.db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('residence', 'resident')
                  AND name LIKE 'population\\_%' ESCAPE '\\' ORDER BY rowid
                """)
        }
        guard let names else { return nil }
        let suspended = SuspendedPopulationCounts(triggers: try DeferredSchema.drop(names, in: group))
        group.state.populationSuspended = true
        return suspended
    }

    /// Counts everyone living now and on each month's first day from the residences, and
    /// puts the triggers back.
    func resume(in group: Registry.Group) throws(RegistryError) {
        group.state.populationSuspended = false
        try storageErrors { try PopulationMonths.recountAll(group.db, through: group.today) }
        try triggers.rebuild(in: group)
    }
}
