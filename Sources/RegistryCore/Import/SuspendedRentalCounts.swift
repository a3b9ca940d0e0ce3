import GRDB

/// The rental count triggers (``RentalCounts``) set aside while a registry without any
/// unit yet is loaded (a county's first units import), and the counts made once at the end.
///
/// Without it the load would count every rental unit as it comes (four upserts each) and
/// still end with the months taken only from the load's own month on, so that every report
/// on an earlier day summed each grid's changes from its first. Only for a first load: after
/// a small import into a large county, counting everything again would cost more than the
/// triggers. Inside the import's transaction (``DeferredSchema``): other connections never
/// see the triggers gone, and a refused import puts them back by rolling back.
struct SuspendedRentalCounts {
    private let triggers: DeferredSchema

    /// Drops the triggers when the registry holds no unit; `nil` (and nothing done) otherwise.
    static func suspendIfNoUnits(in group: Registry.Group) throws(RegistryError) -> SuspendedRentalCounts? {
        let names = try storageErrors { () throws -> [String]? in
            guard try !(Bool.fetchOne(group.db, sql: "SELECT EXISTS (SELECT 1 FROM unit)") ?? true) else { return nil }
            return try String.fetchAll(group.db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'unit'
                  AND name LIKE 'rental\\_count\\_%' ESCAPE '\\' ORDER BY rowid
                """)
        }
        guard let names else { return nil }
        return SuspendedRentalCounts(triggers: try DeferredSchema.drop(names, in: group))
    }

    /// Counts every rental unit's changes and every month from them, and puts the triggers back.
    func resume(in group: Registry.Group) throws(RegistryError) {
        try storageErrors { try group.db.withPageCache { try RentalCounts.rebuild(group.db, through: group.today) } }
        try triggers.rebuild(in: group)
    }
}
