import GRDB

/// A county's first load — of residents (``BulkResidentLoad``) or of units (``CSVImport``)
/// — written through SQLite's rollback journal instead of the WAL.
///
/// In WAL mode a transaction larger than the page cache spills its pages to the WAL; every
/// page it then reads again is first looked up in the WAL index, segment by segment, so
/// each look-up grows with the WAL written so far, and at commit every page is copied a
/// second time, into the database. Ten million residents loaded that way spent a third of
/// the writing thread in those look-ups. In rollback-journal mode a spilled page goes
/// straight into the database file, and only pages that existed before the load are
/// copied to the journal first (a first load's new pages are not: rolling back cuts the
/// file back to its old length).
///
/// ```swift
/// if let journal = RollbackJournal.enter(pool) {
///     defer { journal.leave() }
///     // one large transaction; nobody else can read until it ends
/// }
/// ```
///
/// The switch needs the database to itself: SQLite refuses to leave WAL mode while another
/// connection has it open (the web service, another command), and the load then stays in
/// WAL mode. While the load runs, other processes cannot read: their commands wait for
/// the busy timeout, then fail as busy. WAL mode comes back when the load ends, committed
/// or not; after a crash, the next open rolls the journal back and turns WAL mode on
/// again (every connection the registry opens asks for it).
struct RollbackJournal {
    private let pool: DatabasePool

    /// Switches the database to the rollback journal; `nil` (nothing changed) when SQLite
    /// refuses because another connection has the database open.
    static func enter(_ pool: DatabasePool) -> RollbackJournal? {
        // The registry's own idle readers would count as other connections.
        pool.invalidateReadOnlyConnections()
        let mode = try? pool.writeWithoutTransaction { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
        }
        guard mode == "delete" else { return nil }
        return RollbackJournal(pool: pool)
    }

    /// Turns WAL mode back on. Should that fail (another process opened the database in the
    /// meantime and holds it), the next connection the registry opens turns it on.
    func leave() {
        _ = try? pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
    }
}
