import GRDB

/// The schema versions and the steps between them.
///
/// A new database gets `schema.sql` whole and is stamped with ``current`` in
/// `PRAGMA user_version`. An older database is brought up step by step, each step in the
/// same transaction as its new version number. A database from a newer program is refused
/// rather than guessed at.
enum Migrations {
    /// The version that `schema.sql` describes.
    static let current = 2

    /// The steps that bring version `n - 1` to version `n`, by `n`. Each change of
    /// `schema.sql` adds one, so that a database of any earlier version ends up with the
    /// same schema as a new one.
    static let steps: [Int: @Sendable (Database) throws -> Void] = [
        // 2: the hash chains of the ledger and the audit trail (and the ledger's indexes
        // reduced to one, as registrations write an event each).
        2: { db in
            try db.execute(sql: """
                ALTER TABLE ledger_event ADD COLUMN hash TEXT CHECK (length(hash) = 64);
                ALTER TABLE audit_entry ADD COLUMN hash TEXT CHECK (length(hash) = 64);
                DROP INDEX IF EXISTS ledger_event_date;
                DROP INDEX IF EXISTS ledger_event_grid;
                DROP INDEX IF EXISTS ledger_event_community;
                CREATE INDEX IF NOT EXISTS ledger_event_subdistrict ON ledger_event(subdistrict, seq);
                """)
            for table in [HashChain.ledger, HashChain.audit] {
                // The append-only trigger refuses the UPDATE that fills the hashes: set it
                // aside for this step only, and put back its own stored definition.
                let trigger = "\(table.name)_no_update"
                let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                                     arguments: [trigger])
                try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)")
                try HashChain.fill(db, table)
                if let definition { try db.execute(sql: definition) }
            }
        },
    ]

    /// Applies the schema to an empty database, or migrates an older one.
    /// - Throws: ``RegistryError`` `schema_too_new` when the file was written by a newer program.
    static func prepare(_ db: Database) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if version == current { return }
        if version > current {
            throw RegistryError(.internalError, reason: "schema_too_new",
                                message: "this database has schema version \(version), newer than this program's \(current): use a newer registry")
        }
        if version == 0 {
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            guard tables == 0 else {
                throw RegistryError(.internalError, reason: "not_a_registry",
                                    message: "this file is an SQLite database, but not a registry")
            }
            try db.execute(sql: SchemaText.sql)
        } else {
            for step in (version + 1)...current {
                guard let migrate = steps[step] else {
                    throw RegistryError(.internalError, reason: "schema_too_old",
                                        message: "no migration from schema version \(step - 1)")
                }
                try migrate(db)
            }
        }
        try db.execute(sql: "PRAGMA user_version = \(current)")
    }
}
