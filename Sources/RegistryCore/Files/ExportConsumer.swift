import GRDB

/// Where a named consumer's last ledger export ended (`export_consumer`), so that a weekly
/// export starts exactly after the previous one without anyone keeping the number.
enum ExportConsumer {
    /// The `seq` the consumer's next export starts after: 0 for a name not seen before.
    static func position(of name: String, in registry: Registry) throws(RegistryError) -> Int64 {
        try registry.read { db in
            try Int64.fetchOne(db, sql: "SELECT last_seq FROM export_consumer WHERE name = ?", arguments: [name]) ?? 0
        }
    }

    /// Moves the consumer's position to `seq` (never backwards).
    static func advance(_ name: String, to seq: Int64, in registry: Registry, operator actor: String) throws(RegistryError) {
        try registry.performGroup(operator: actor) { group throws(RegistryError) in
            try storageErrors {
                try group.db.execute(sql: """
                    INSERT INTO export_consumer (name, last_seq, updated_at, operator) VALUES (?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq),
                                                     updated_at = excluded.updated_at, operator = excluded.operator
                    """, arguments: [name, seq, group.now, group.actor])
            }
        }
    }
}
