import GRDB

/// The `population` triggers set aside while a registry with nobody living in it yet is
/// loaded in bulk (a county's first import), and the counts made once at the end instead.
///
/// Each triggering insert costs SQLite a statement journal (the page images it would need
/// to undo that one statement): counting a million residents one by one added about 24 s
/// to a 50 s import, counting them in one pass at the end about 5 s. Only for a first load:
/// after a small import into a large county, a recount would cost more than the triggers.
/// Inside the import's transaction, like ``DeferredIndexes``: other connections never see
/// the triggers gone, and a refused import puts them back by rolling back.
struct SuspendedPopulationCounts {
    private var definitions: [String] = []

    /// Drops the triggers when no residence is open; `nil` (and nothing done) otherwise.
    static func suspendIfNobodyLives(in group: Registry.Group) throws(RegistryError) -> SuspendedPopulationCounts? {
        try storageErrors {
            let someone = try Bool.fetchOne(group.db, sql: "SELECT EXISTS (SELECT 1 FROM residence WHERE moved_out IS NULL)") ?? true
            if someone { return nil }
            var suspended = SuspendedPopulationCounts()
            for row in try Row.fetchAll(group.db, sql: """
                SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('residence', 'resident')
                  AND name LIKE 'population\\_%' ESCAPE '\\' ORDER BY rowid
                """) {
                suspended.definitions.append(row[1])
                try group.db.execute(sql: "DROP TRIGGER \(row[0] as String)")
            }
            return suspended
        }
    }

    /// Counts everyone living now from the residences, and puts the triggers back.
    func resume(in group: Registry.Group) throws(RegistryError) {
        try storageErrors {
            try group.db.withSmallPageCache { try group.db.execute(sql: PopulationTally.recount) }
            for sql in definitions { try group.db.execute(sql: sql) }
        }
    }
}
