import GRDB

/// Where a named consumer's last ledger export ended (`export_consumer`), so that a weekly
/// export starts exactly after the previous one without anyone keeping the number.
///
/// A consumer is bound to the area of its first export (or the whole county): its
/// position passes the events of that area only, so an export for another area under the
/// same name would move it past events it never delivered, and is refused
/// (`consumer_area_mismatch`). Each row carries an HMAC under the chains' key, which
/// `registry check` verifies: a position moved forward behind the program's back would
/// silently skip events.
enum ExportConsumer {
    /// A consumer's stored position.
    struct Position {
        var lastSeq: Int64
        var area: String?
    }

    /// The consumer's position: where its next export starts (0 for a name not seen before).
    /// - Throws: `consumer_area_mismatch` when `area` is not the area it is bound to;
    ///   `consumer_altered` when its row does not carry its own HMAC.
    static func position(of name: String, area: String?, in registry: Registry) throws(RegistryError) -> Position {
        let key = try registry.requireKey()
        let row = try registry.read { db in
            try Row.fetchOne(db, sql: "SELECT last_seq, updated_at, operator, area, mac FROM export_consumer WHERE name = ?", arguments: [name])
        }
        guard let row else { return Position(lastSeq: 0, area: area) }
        let position = Position(lastSeq: row[0], area: row[3])
        guard mac(name: name, position: position, updatedAt: row[1], actor: row[2], key: key) == row[4] as String? else {
            throw RegistryError(.internalError, reason: .consumerAltered, field: "consumer",
                                message: "consumer: the stored position of \(name) was changed behind the registry's back; run `registry check`")
        }
        guard position.area == area else {
            throw RegistryError.conflict(.consumerAreaMismatch, field: "area",
                "area: consumer \(name) exports \(position.area.map { "area \($0)" } ?? "the whole county"), not \(area.map { "area \($0)" } ?? "the whole county"); use another consumer name for another area")
        }
        return position
    }

    /// Moves the consumer's position to `seq` (never backwards).
    static func advance(_ name: String, area: String?, to seq: Int64, in registry: Registry, operator actor: String) throws(RegistryError) {
        let key = try registry.requireKey()
        try registry.performGroup(operator: actor) { group throws(RegistryError) in
            try storageErrors {
                let stored = try Int64.fetchOne(group.db, sql: "SELECT last_seq FROM export_consumer WHERE name = ?", arguments: [name]) ?? 0
                let position = Position(lastSeq: max(stored, seq), area: area)
                try group.db.execute(sql: """
                    INSERT INTO export_consumer (name, last_seq, updated_at, operator, area, mac) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at,
                                                     operator = excluded.operator, mac = excluded.mac
                    """, arguments: [name, position.lastSeq, group.now, group.actor, area,
                                     mac(name: name, position: position, updatedAt: group.now, actor: group.actor, key: key)])
            }
        }
    }

    /// The HMAC of a consumer's row under the chain key.
    static func mac(name: String, position: Position, updatedAt: String, actor: String, key: RegistryKey) -> String {
        key.chainMAC("export_consumer\n" + JSONWriter.string(.array([
            .string(name), .int(position.lastSeq), .string(updatedAt), .string(actor), .optional(position.area),
        ])))
    }

    /// The names of consumers whose row does not carry its own HMAC.
    static func altered(_ db: Database, key: RegistryKey) throws -> [String] {
        try Row.fetchAll(db, sql: "SELECT name, last_seq, updated_at, operator, area, mac FROM export_consumer ORDER BY name").compactMap { row in
            let name: String = row[0]
            let position = Position(lastSeq: row[1], area: row[4])
            return mac(name: name, position: position, updatedAt: row[2], actor: row[3], key: key) == row[5] as String? ? nil : name
        }
    }
}
