import GRDB

/// The schema versions and the steps between them.
///
/// A new database gets `schema.sql` whole and is stamped with ``current`` in
/// `PRAGMA user_version`. An older database is brought up step by step, each step in the
/// same transaction as its new version number. A database from a newer program is refused
/// rather than guessed at.
enum Migrations {
    /// The version that `schema.sql` describes.
    static let current = 1

    /// The steps that bring version `n - 1` to version `n`, by `n`. Version 1 is the first
    /// schema, so there is no step yet; a later change adds `2: "ALTER TABLE …"` here and
    /// edits `schema.sql` to match.
    static let steps: [Int: String] = [:]

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
                guard let sql = steps[step] else {
                    throw RegistryError(.internalError, reason: "schema_too_old",
                                        message: "no migration from schema version \(step - 1)")
                }
                try db.execute(sql: sql)
            }
        }
        try db.execute(sql: "PRAGMA user_version = \(current)")
    }
}
