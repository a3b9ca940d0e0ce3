import GRDB

/// The secondary indexes an import sets aside once it is large enough, and builds again at
/// its end (``DeferredSchema``), in the same transaction.
///
/// Building an index again sorts every row of its table (at a million residents the five of
/// a residents import took 4.2 s); keeping it costs a B-tree insert or two for each new row.
/// So a county's first load sets them aside before its first row, and a later import keeps
/// them until it has written ``rowsWorthARebuild(existing:)`` rows — a third as many as the
/// table held — and only then sets them aside: a weekly file of 50,000 rows into a county of
/// a million never rebuilds them, a file as large as the county does after its first third
/// (at most about twice the cheaper of the two ways).
///
/// ```swift
/// var indexes = try DeferredIndexes(.residents, in: group)   // first load: dropped here
/// for row in rows {
///     try write(row)
///     done += 1
///     try indexes.written(done, in: group)                    // dropped at the threshold
/// }
/// try indexes.rebuild(in: group)                               // if they were dropped
/// ```
struct DeferredIndexes {
    /// The indexes that no check of the import reads, by the kind of file.
    static let names: [CSVImport.Kind: [String]] = [
        .units: ["unit_grid", "unit_community", "unit_subdistrict", "unit_rental_dates", "ledger_event_subdistrict"],
        .residents: ["resident_name", "residence_unit", "residence_dates", "residence_moved_in", "ledger_event_subdistrict"],
    ]

    /// This import's indexes (``names`` of its kind).
    private let indexNames: [String]
    /// The rows after which the indexes are set aside.
    let threshold: Int
    private var dropped: DeferredSchema?

    /// How many rows an import writes with the indexes kept before setting them aside: a
    /// third of `existing`, the rows of the table the import adds to (0 for an empty one).
    static func rowsWorthARebuild(existing: Int) -> Int {
        max(0, existing) / 3
    }

    /// Reads how large the registry is; sets the indexes aside at once when the import's
    /// table is empty (a county's first load).
    init(_ kind: CSVImport.Kind, in group: Registry.Group) throws(RegistryError) {
        indexNames = Self.names[kind] ?? []
        let table = kind == .units ? "unit" : "residence"
        threshold = indexNames.isEmpty ? 0 : Self.rowsWorthARebuild(existing: try storageErrors {
            try Int.fetchOne(group.db, sql: "SELECT coalesce(max(id), 0) FROM \(table)") ?? 0
        })
        try written(0, in: group)
    }

    /// Whether the indexes are set aside now.
    var areSetAside: Bool { dropped != nil }

    /// Sets the indexes aside once `rows` rows are written.
    mutating func written(_ rows: Int, in group: Registry.Group) throws(RegistryError) {
        guard dropped == nil, rows >= threshold, !indexNames.isEmpty else { return }
        dropped = try DeferredSchema.drop(indexNames, in: group)
    }

    /// Builds the indexes again if they were set aside.
    func rebuild(in group: Registry.Group) throws(RegistryError) {
        try dropped?.rebuild(in: group)
    }
}
