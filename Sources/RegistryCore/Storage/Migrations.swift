import Foundation
import GRDB

/// The schema versions and the steps between them.
///
/// A new database gets `schema.sql` whole and is stamped with ``current`` in
/// `PRAGMA user_version`. An older database is brought up step by step, all steps and the
/// new version number in one transaction: a migration that fails leaves the file as it
/// was. A database from a newer program is refused rather than guessed at.
enum Migrations {
    /// The version that `schema.sql` describes.
    static let current = 13

    /// The ledger's chain as schema version 2 defined it: plain SHA-256 over the ID number
    /// in the clear.
    static let ledgerVersion2 = HashChain.Table(
        name: "ledger_event",
        columns: ["seq", "type", "date", "id_number", "name", "sex", "birth_date", "hukou_code", "migrant",
                  "unit_id", "address", "grid", "community", "subdistrict", "operator", "recorded_at"],
        integerColumns: ["seq", "migrant"], keyed: false)

    /// The ledger's chain as schema versions 3 to 5 defined it: plain SHA-256, with the
    /// masked ID number stored in the row.
    static let ledgerVersion3 = HashChain.Table(
        name: "ledger_event",
        columns: ["seq", "type", "date", "resident", "id_masked", "name", "sex", "birth_date", "hukou_code", "migrant",
                  "unit_id", "address", "grid", "community", "subdistrict", "operator", "recorded_at"],
        integerColumns: ["seq", "resident", "migrant"], keyed: false)

    /// The audit trail's chain as schema versions 2 to 5 defined it: plain SHA-256, no resident.
    static let auditVersion2 = HashChain.Table(
        name: "audit_entry",
        columns: ["seq", "at", "operator", "action", "purpose", "method", "filters", "count"],
        integerColumns: ["seq", "count"], keyed: false)

    /// What a step may need besides the connection.
    struct Context {
        /// The registry's key, created when a step needs one and there is no key file
        /// (only the step that seals personal data does).
        var key: (Database) throws -> RegistryKey
        /// The key the database's sealed values were sealed with: never a new one (a new
        /// key opens nothing already sealed). `key_missing` when there is no key file.
        var sealedKey: (Database) throws -> RegistryKey
    }

    /// The steps that bring version `n - 1` to version `n`, by `n`. Each change of
    /// `schema.sql` adds one, so that a database of any earlier version ends up with the
    /// same schema as a new one.
    static let steps: [Int: @Sendable (Database, Context) throws -> Void] = [
        // 2: the hash chains of the ledger and the audit trail (and the ledger's indexes
        // reduced to one, as registrations write an event each).
        2: { db, _ in
            try db.execute(sql: """
                ALTER TABLE ledger_event ADD COLUMN hash TEXT CHECK (length(hash) = 64);
                ALTER TABLE audit_entry ADD COLUMN hash TEXT CHECK (length(hash) = 64);
                DROP INDEX IF EXISTS ledger_event_date;
                DROP INDEX IF EXISTS ledger_event_grid;
                DROP INDEX IF EXISTS ledger_event_community;
                CREATE INDEX IF NOT EXISTS ledger_event_subdistrict ON ledger_event(subdistrict, seq);
                """)
            for table in [ledgerVersion2, auditVersion2] {
                try withoutAppendOnlyTrigger(table, db) { try HashChain.relink(db, table, key: nil) }
            }
        },
        // 3: personal data sealed. ID numbers and phones of residents and landlords are
        // encrypted, residents are found by a blind index, and ledger events name the
        // resident row with a masked ID number instead of holding the number. The tables
        // are rebuilt (an UNIQUE, CHECKed column cannot be dropped in place), and the
        // ledger's chain, which covered the clear numbers, is linked again over the new
        // rows, after the old chain was verified: a migration does not launder tampering.
        // The tables are made from today's schema.sql, so this step writes them in today's
        // shape (sealed values bound to their rows, the keyed chain), which step 6 then
        // leaves as they are.
        3: { db, context in
            try requireSound(ledgerVersion2, db)
            try db.execute(sql: "ALTER TABLE registry ADD COLUMN key_check TEXT CHECK (key_check IS NULL OR length(key_check) = 32)")
            let key = try context.key(db)
            try db.execute(sql: "UPDATE registry SET key_check = ?", arguments: [key.checkValue])
            let L = PersonalDataCipher.Label.self
            try rebuild("resident", db, copy: """
                INSERT INTO resident (id, id_index, id_cipher, name, sex, birth_date, hukou_code, phone_cipher)
                SELECT id, registry_blind(id_number), registry_seal('\(L.residentID)', registry_blind(id_number), id_number),
                       name, sex, birth_date, hukou_code, registry_seal('\(L.residentPhone)', registry_blind(id_number), phone)
                FROM resident_v2 ORDER BY id
                """)
            try rebuild("unit", db, copy: """
                INSERT INTO unit (id, unit_id, grid, community, subdistrict, address, kind, discovered_on, registered_on, closed_on,
                                  landlord_name, landlord_id_cipher, landlord_phone_cipher)
                SELECT id, unit_id, grid, community, subdistrict, address, kind, discovered_on, registered_on, closed_on,
                       landlord_name, registry_seal('\(L.landlordID)', unit_id, landlord_id_number),
                       registry_seal('\(L.landlordPhone)', unit_id, landlord_phone)
                FROM unit_v2 ORDER BY id
                """)
            try rebuild("ledger_event", db, copy: """
                INSERT INTO ledger_event (seq, type, date, resident, name, sex, birth_date, hukou_code, migrant,
                                          unit_id, address, grid, community, subdistrict, operator, recorded_at, hash)
                SELECT e.seq, e.type, e.date, r.id, e.name, e.sex, e.birth_date, e.hukou_code, e.migrant,
                       e.unit_id, e.address, e.grid, e.community, e.subdistrict, e.operator, e.recorded_at, NULL
                FROM ledger_event_v2 e LEFT JOIN resident r ON r.id_index = registry_blind(e.id_number)
                ORDER BY e.seq
                """)
            try withoutAppendOnlyTrigger(HashChain.ledger, db) { try HashChain.relink(db, HashChain.ledger, key: key) }
        },
        // 4: named export consumers that remember where their last export ended (made in
        // today's shape; step 6 leaves it).
        4: { db, _ in
            for statement in SchemaText.statements(of: "export_consumer") { try db.execute(sql: statement) }
        },
        // 5: the people living in each grid, counted by the triggers in each change's own
        // transaction (`population`), the indexes that find what changed since a day, and
        // the rental units' dates in an index of their own.
        // Step 3 may already have made the resident triggers (it rebuilds that table from
        // today's schema.sql), so only what is missing is created.
        // The new indexes and the count sort whole tables: with the small page cache of
        // an import's index rebuild, so that the sorter spills sooner.
        5: { db, _ in
            try db.withPageCache {
                for name in ["population", "population_share", "residence", "resident", "unit"] {
                    // (Step 13 makes the unit's rental count triggers, with their tables.)
                    // (The triggers also keep step 11's birthdays and step 12's months: those
                    // steps make them.)
                    try createMissing(SchemaText.statements(of: name).filter { !$0.contains("population_birthday") && !$0.contains("population_month") && !$0.contains("rental_count") }, db)
                }
                try db.execute(sql: PopulationTally.recount)
            }
        },
        // 6: what an attacker found (issue 11). Sealed values bound to their rows (re-sealed),
        // no masked ID numbers stored (the columns dropped), the chains keyed with the
        // registry's key (linked again after the plain chains were verified), the audit
        // trail naming the person a reveal showed, export consumers bound to an area and
        // carrying an HMAC, and a key check that cannot be NULL. Parts a database already
        // has in today's shape (made by steps 3 and 4 of this same migration) are left.
        6: { db, context in
            let key = try context.sealedKey(db)
            let L = PersonalDataCipher.Label.self
            if try hasColumn("resident", "id_masked", db) {
                try requireSound(ledgerVersion3, db)
                try rebuild("resident", db, copy: """
                    INSERT INTO resident (id, id_index, id_cipher, name, sex, birth_date, hukou_code, phone_cipher)
                    SELECT id, id_index, registry_seal('\(L.residentID)', id_index, registry_open_unbound('\(L.residentID)', id_cipher)),
                           name, sex, birth_date, hukou_code,
                           registry_seal('\(L.residentPhone)', id_index, registry_open_unbound('\(L.residentPhone)', phone_cipher))
                    FROM resident_v2 ORDER BY id
                    """)
                try rebuild("unit", db, copy: """
                    INSERT INTO unit (id, unit_id, grid, community, subdistrict, address, kind, discovered_on, registered_on, closed_on,
                                      landlord_name, landlord_id_cipher, landlord_phone_cipher)
                    SELECT id, unit_id, grid, community, subdistrict, address, kind, discovered_on, registered_on, closed_on,
                           landlord_name, registry_seal('\(L.landlordID)', unit_id, registry_open_unbound('\(L.landlordID)', landlord_id_cipher)),
                           registry_seal('\(L.landlordPhone)', unit_id, registry_open_unbound('\(L.landlordPhone)', landlord_phone_cipher))
                    FROM unit_v2 ORDER BY id
                    """)
                try rebuild("ledger_event", db, copy: """
                    INSERT INTO ledger_event (seq, type, date, resident, name, sex, birth_date, hukou_code, migrant,
                                              unit_id, address, grid, community, subdistrict, operator, recorded_at, hash)
                    SELECT seq, type, date, resident, name, sex, birth_date, hukou_code, migrant,
                           unit_id, address, grid, community, subdistrict, operator, recorded_at, NULL
                    FROM ledger_event_v2 ORDER BY seq
                    """)
                try withoutAppendOnlyTrigger(HashChain.ledger, db) { try HashChain.relink(db, HashChain.ledger, key: key) }
            }
            if !(try hasColumn("audit_entry", "resident", db)) {
                try requireSound(auditVersion2, db)
                // A reveal's filters held the masked number ({"idNumber":"341522********0012"}),
                // which a masked form must no longer be stored as: it is taken out.
                try rebuild("audit_entry", db, copy: """
                    INSERT INTO audit_entry (seq, at, operator, action, purpose, method, filters, count, resident, hash)
                    SELECT seq, at, operator, action, purpose, method, filters, count, NULL, NULL FROM audit_entry_v2 ORDER BY seq
                    """)
                try withoutAppendOnlyTrigger(HashChain.audit, db) {
                    for row in try Row.fetchAll(db, sql: "SELECT seq, filters FROM audit_entry WHERE filters LIKE '%********%'") {
                        let filters: String = row[1]
                        let cleaned = filters.replacingOccurrences(of: #"[0-9]{6}\*{8}[0-9X]{4}"#, with: "(masked number removed)", options: .regularExpression)
                        try db.execute(sql: "UPDATE audit_entry SET filters = ? WHERE seq = ?", arguments: [cleaned, row[0] as Int64])
                    }
                    try HashChain.relink(db, HashChain.audit, key: key)
                }
            }
            if !(try hasColumn("export_consumer", "mac", db)) {
                let rows = try Row.fetchAll(db, sql: "SELECT name, last_seq, updated_at, operator FROM export_consumer")
                try rebuild("export_consumer", db, copy: "SELECT 1")
                for row in rows {
                    let position = ExportConsumer.Position(lastSeq: row[1], area: nil)
                    try db.execute(sql: "INSERT INTO export_consumer (name, last_seq, updated_at, operator, area, mac) VALUES (?, ?, ?, ?, NULL, ?)",
                                   arguments: [row[0], row[1], row[2], row[3],
                                               ExportConsumer.mac(name: row[0], position: position, updatedAt: row[2], actor: row[3], key: key)])
                }
            }
            try rebuild("registry", db, copy: """
                INSERT INTO registry (id, county_code, county_name, migrant_scope, created_at, key_check)
                SELECT id, county_code, county_name, migrant_scope, created_at, coalesce(key_check, '\(key.checkValue)') FROM registry_v2
                """)
        },
        // 7: accounts of the web service: users, their areas, API tokens, sessions and
        // failed sign-ins (new tables only).
        7: { db, _ in
            for table in ["account", "account_area", "api_token", "web_session", "login_failure"] {
                // (The triggers that count the accounts' changes are step 9's.)
                try createMissing(SchemaText.statements(of: table).filter { !$0.contains("account_generation") }, db)
            }
        },
        // 8: the worklists: rental units in the order they became known, and the ranges of
        // events written by imports.
        8: { db, _ in
            try db.withPageCache {
                try createMissing(SchemaText.statements(of: "import_run"), db)
                try createMissing(SchemaText.statements(of: "unit").filter { $0.contains("unit_rental_discovered") }, db)
                try createMissing(SchemaText.statements(of: "residence").filter { $0.contains("residence_moved_in") }, db)
            }
        },
        // 9: the accounts' generation, which the web service's token cache checks.
        9: { db, _ in
            try createMissing(SchemaText.statements(of: "account_generation"), db)
            for table in ["account", "account_area", "api_token"] {
                try createMissing(SchemaText.statements(of: table).filter { $0.contains("account_generation") }, db)
            }
        },
        // 10: a new residence's population shares are written by the registry, not by a
        // trigger (which made every registration keep a statement journal).
        10: { db, _ in
            try db.execute(sql: "DROP TRIGGER IF EXISTS population_residence_opened")
        },
        // 11: the people living now by date of birth, kept by the population triggers (made
        // again with their second statement) and counted once here.
        11: { db, _ in
            try db.withPageCache {
                for table in ["residence", "resident"] {
                    for statement in SchemaText.statements(of: table)
                    where statement.hasPrefix("CREATE TRIGGER population_") && !statement.hasPrefix("CREATE TRIGGER population_month_") {
                        let name = statement.dropFirst("CREATE TRIGGER ".count).prefix { $0 != " " }
                        try db.execute(sql: "DROP TRIGGER IF EXISTS \(name)")
                        try db.execute(sql: statement)
                    }
                }
                try createMissing(SchemaText.statements(of: "population_birthday") + SchemaText.statements(of: "population_birthday_share"), db)
                try db.execute(sql: PopulationTally.recount + PopulationTally.recountBirthdays)
                // The edge years' people were found through it; every registration paid for it.
                try db.execute(sql: "DROP INDEX IF EXISTS resident_birth_date")
            }
        },
        // 12: the people living on the first day of each month, kept by triggers of their
        // own and built here in one pass over the residences.
        12: { db, _ in
            try db.withPageCache {
                for name in ["population_month_taken", "population_month", "population_residence", "population_month_facets",
                             "population_month_share", "residence", "resident"] {
                    try createMissing(SchemaText.statements(of: name).filter { !$0.hasPrefix("CREATE TRIGGER ") || $0.contains("population_month") }, db)
                }
                try PopulationMonths.rebuild(db, through: .today())
            }
        },
        // 13: the rental units known and registered per area and day and per grid and
        // month, kept by triggers on `unit` and built here from the units.
        13: { db, _ in
            try db.withPageCache {
                for name in ["rental_count_day", "rental_count_month_taken", "rental_count_month", "rental_count_change", "unit"] {
                    try createMissing(SchemaText.statements(of: name).filter { !$0.hasPrefix("CREATE TRIGGER ") || $0.contains("rental_count") }, db)
                }
                try RentalCounts.rebuild(db, through: .today())
            }
        },
    ]

    /// Refuses to migrate a table whose old chain is broken: a migration that links the
    /// chain again must not launder tampering.
    private static func requireSound(_ table: HashChain.Table, _ db: Database) throws {
        let verdict = try HashChain.verify(db, table, key: nil)
        if let broken = verdict.firstBroken {
            throw RegistryError(.internalError, reason: .chainBroken,
                                message: "the \(table.name) hash chain is broken at seq \(broken): the database was changed behind the registry's back, so it is not migrated; run `registry check` with the previous version and restore a backup")
        }
    }

    private static func hasColumn(_ table: String, _ column: String, _ db: Database) throws -> Bool {
        try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").contains { $0["name"] == column }
    }

    /// Applies the schema to an empty database, or migrates an older one.
    /// - Parameter key: the registry's key, when its key file exists; `createKey` makes one
    ///   when a migration needs a key and there is none.
    /// - Throws: ``RegistryError`` `schema_too_new` when the file was written by a newer program.
    static func prepare(_ queue: DatabasePool, key: RegistryKey?, createKey: @escaping () throws(RegistryError) -> RegistryKey) throws {
        // On the writer, open already: a reader opened for this one number would cost a
        // connection (and a parse of the whole schema) to every command.
        let version = try queue.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA user_version") ?? 0 }
        if version == current { return }
        if version > current {
            throw RegistryError(.internalError, reason: .schemaTooNew,
                                message: "this database has schema version \(version), newer than this program's \(current): use a newer registry")
        }
        if version == 0 {
            try queue.write { db in
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                guard tables == 0 else {
                    throw RegistryError(.internalError, reason: .notARegistry,
                                        message: "this file is an SQLite database, but not a registry")
                }
                try db.execute(sql: SchemaText.sql)
                try db.execute(sql: "PRAGMA user_version = \(current)")
            }
            return
        }
        var made: RegistryKey?
        let context = Context(key: { db in
            if let key { return key }
            if let made { return made }
            let created = try createKey()
            // This connection's functions get the new key at once: the step seals with them.
            PersonalDataCipher.install(in: db, key: created, keyFile: "")
            made = created
            return created
        }, sealedKey: { _ in
            if let key { return key }
            if let made { return made }
            throw RegistryError(.internalError, reason: .keyMissing, field: "keyFile",
                                message: "this database must be migrated to schema version \(current), which re-seals its personal data with its key, and there is no key file: name it with --key-file or REGISTRY_KEY_FILE")
        })
        // Rebuilding a table means dropping the old one while other tables refer to it:
        // foreign keys are switched off for the migration (they cannot be switched inside a
        // transaction), and checked whole before it commits. `legacy_alter_table` keeps the
        // other tables' references naming the table, not its renamed old copy.
        try queue.writeWithoutTransaction { db in
            // Steps that sort whole tables (new indexes, recounts) spill to temporary files.
            // secure_delete: the pages of the tables a step drops (clear or masked numbers
            // of an older schema) are overwritten with zeros, not left in the file's free
            // pages; the WAL is checkpointed into the file and emptied afterwards.
            try db.execute(sql: "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON; PRAGMA temp_store = FILE; PRAGMA secure_delete = ON")
            defer {
                try? db.execute(sql: "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = OFF")
                try? db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
            try db.inTransaction(.immediate) {
                for step in (version + 1)...current {
                    guard let migrate = steps[step] else {
                        throw RegistryError(.internalError, reason: .schemaTooOld,
                                            message: "no migration from schema version \(step - 1)")
                    }
                    try migrate(db, context)
                }
                if let violation = try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") {
                    throw RegistryError(.internalError, reason: .migrationFailed,
                                        message: "the migration would break a reference in \(violation[0] as String? ?? "?"): nothing was changed")
                }
                try db.execute(sql: "PRAGMA user_version = \(current)")
                return .commit
            }
        }
    }

    /// Replaces `table` with its definition in `schema.sql` (and its indexes and triggers),
    /// copying the rows with `copy`, which reads the old rows from `<table>_v2`.
    private static func rebuild(_ table: String, _ db: Database, copy: String) throws {
        let old = "\(table)_v2"
        for row in try Row.fetchAll(db, sql: "SELECT type, name FROM sqlite_master WHERE tbl_name = ? AND (type = 'index' OR type = 'trigger') AND sql IS NOT NULL",
                                    arguments: [table]) {
            try db.execute(sql: "DROP \(row[0] as String) \(row[1] as String)")
        }
        try db.execute(sql: "ALTER TABLE \(table) RENAME TO \(old)")
        // (Steps 12 and 13 make the triggers that keep their counts, with their tables.)
        for statement in SchemaText.statements(of: table) where !statement.contains("population_month") && !statement.contains("rental_count") {
            try db.execute(sql: statement)
        }
        try db.execute(sql: copy)
        try db.execute(sql: "DROP TABLE \(old)")
    }

    /// Runs those of `statements` whose table, view, index or trigger is not in the database yet.
    private static func createMissing(_ statements: [String], _ db: Database) throws {
        for statement in statements {
            let words = statement.prefix { $0 != "(" && $0 != "\n" }.split(separator: " ")
            guard let name = words.first(where: { !["CREATE", "UNIQUE", "TABLE", "VIEW", "INDEX", "TRIGGER"].contains($0) }) else { continue }
            let exists = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = ?)", arguments: [String(name)]) ?? false
            if !exists { try db.execute(sql: statement) }
        }
    }

    private static func withoutAppendOnlyTrigger(_ table: HashChain.Table, _ db: Database, _ body: () throws -> Void) throws {
        try withoutAppendOnlyTrigger(table.name, db, body)
    }

    /// Runs `body` with the table's append-only UPDATE trigger set aside, and puts back its
    /// own stored definition after.
    private static func withoutAppendOnlyTrigger(_ table: String, _ db: Database, _ body: () throws -> Void) throws {
        let trigger = "\(table)_no_update"
        let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                                             arguments: [trigger])
        try db.execute(sql: "DROP TRIGGER IF EXISTS \(trigger)")
        try body()
        if let definition { try db.execute(sql: definition) }
    }
}

extension SchemaText {
    /// The statements of `schema.sql` that create `table` (or the view `table`) and its indexes and triggers, in
    /// file order. Statements end with `;` at the end of a line (a trigger's at a line
    /// ending in `END;`), and comment lines are left out.
    static func statements(of table: String) -> [String] {
        var statements: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("--") || (current.isEmpty && line.trimmingCharacters(in: .whitespaces).isEmpty) { continue }
            current += line + "\n"
            if line.hasSuffix(";") && (!current.hasPrefix("CREATE TRIGGER ") || line.hasSuffix("END;")) {
                statements.append(current)
                current = ""
            }
        }
        return statements.filter { statement in
            let head = statement.prefix { $0 != "(" && $0 != "\n" }
            let words = head.split(separator: " ")
            if statement.hasPrefix("CREATE TABLE ") || statement.hasPrefix("CREATE VIEW ") { return words.count > 2 && words[2] == table }
            if statement.hasPrefix("CREATE INDEX ") || statement.hasPrefix("CREATE UNIQUE INDEX ") {
                guard let on = words.firstIndex(of: "ON"), on + 1 < words.count else { return false }
                return words[on + 1] == table
            }
            if statement.hasPrefix("CREATE TRIGGER ") {
                guard let on = words.firstIndex(of: "ON"), on + 1 < words.count else { return false }
                return words[on + 1] == table
            }
            return false
        }
    }
}
