import GRDB

/// The rental count triggers (``RentalCounts``) set aside during a large units import, and
/// the counts made once at the end.
///
/// A county's first units load sets them aside from its first row: counting every rental
/// unit as it comes would cost four upserts each and still end with the months taken only
/// from the load's own month on, so that every report on an earlier day summed each grid's
/// changes from its first. A later import starts with the triggers (about 60 µs a unit)
/// and sets them aside once it has written ``rowsWorthARecount(in:)`` rows, when counting
/// everything again (about 5 µs a unit already there) costs less than going on: a weekly
/// import of a few hundred units never does. Inside the import's transaction
/// (``DeferredSchema``): other connections never see the triggers gone, and a refused
/// import puts them back by rolling back.
struct SuspendedRentalCounts {
    private let triggers: DeferredSchema

    /// Whether the registry holds no unit: a units import is then the county's first.
    static func noUnits(_ db: Database) throws -> Bool {
        try !(Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM unit)") ?? true)
    }

    /// Drops the triggers when the registry holds no unit; `nil` (and nothing done) otherwise.
    static func suspendIfNoUnits(in group: Registry.Group) throws(RegistryError) -> SuspendedRentalCounts? {
        try storageErrors { try noUnits(group.db) } ? try suspend(in: group) : nil
    }

    /// How many rows a units import into a registry with units writes through the triggers
    /// before it sets them aside: a twelfth of the units there (by the largest row id; at least 200).
    static func rowsWorthARecount(in group: Registry.Group) throws(RegistryError) -> Int {
        try storageErrors { max(200, (try Int.fetchOne(group.db, sql: "SELECT max(id) FROM unit") ?? 0) / 12) }
    }

    /// Drops the triggers.
    static func suspend(in group: Registry.Group) throws(RegistryError) -> SuspendedRentalCounts {
        let names = try storageErrors {
            try String.fetchAll(group.db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'unit'
                  AND name LIKE 'rental\\_count\\_%' ESCAPE '\\' ORDER BY rowid
                """)
        }
        return SuspendedRentalCounts(triggers: try DeferredSchema.drop(names, in: group))
    }

    /// Counts every rental unit's changes and every month from them, and puts the triggers back.
    func resume(in group: Registry.Group) throws(RegistryError) {
        try storageErrors { try RentalCounts.recountAll(group.db, through: group.today) }
        try triggers.rebuild(in: group)
    }
}
