import Crypto
import Foundation
import GRDB

/// Encryption at rest of ID numbers and phone numbers, offered to SQL as functions on the
/// registry's connections, so that every set-based statement that stores or finds a
/// person says so where it touches the column:
///
/// | function | gives |
/// |---|---|
/// | `registry_blind(id)` | the blind index: HMAC-SHA256 of the ID number under the index key, first 16 bytes |
/// | `registry_seal(label, binding, text)` | AES-256-GCM bound to the column `label` and the row `binding`: 12-byte random nonce, ciphertext, 16-byte tag; NULL for NULL |
/// | `registry_open(label, binding, blob)` | the text again; fails if the blob was altered, or sealed for another row, column or key |
/// | `registry_open_unbound(label, blob)` | opens a value sealed by schema versions 3–5 (bound to its column only): for the migration |
///
/// A resident's values are bound to the row's blind index (`id_index`), a landlord's to
/// the unit's `unit_id`: a sealed value copied into another person's row does not open.
/// Sex, birth date and hukou code stay readable for the analyzer; no masked form of a
/// number is stored: it is made from the opened value when shown (``Disclosure``).
///
/// Without a key (a copy of the database opened without its key file) the functions fail
/// with `key_missing`, and what does not call them works: statistics, `registry check`'s
/// SQLite checks, backups.
enum PersonalDataCipher {
    /// Labels of the sealed columns.
    enum Label {
        static let residentID = "resident.id_number"
        static let residentPhone = "resident.phone"
        static let landlordID = "unit.landlord_id_number"
        static let landlordPhone = "unit.landlord_phone"
    }

    static let keyMissingPrefix = "key_missing: "

    /// Adds the functions to a connection. `key` is `nil` when the key file is missing;
    /// `keyFile` is named in the error then.
    static func install(in db: Database, key: RegistryKey?, keyFile: String) {
        @Sendable func requireKey() throws -> RegistryKey {
            guard let key else {
                throw DatabaseError(message: keyMissingPrefix + "this needs the registry's key, and there is no key file at \(keyFile): name it with --key-file or REGISTRY_KEY_FILE")
            }
            return key
        }
        @Sendable func binding(_ value: DatabaseValue) -> Data {
            Data.fromDatabaseValue(value) ?? Data((String.fromDatabaseValue(value) ?? "").utf8)
        }
        db.add(function: DatabaseFunction("registry_blind", argumentCount: 1, pure: true) { values in
            guard let text = String.fromDatabaseValue(values[0]) else { return nil }
            return try requireKey().blindIndex(text)
        })
        db.add(function: DatabaseFunction("registry_seal", argumentCount: 3, pure: false) { values in
            guard let label = String.fromDatabaseValue(values[0]), let text = String.fromDatabaseValue(values[2]) else { return nil }
            return try requireKey().seal(text, label: label, boundTo: binding(values[1]))
        })
        db.add(function: DatabaseFunction("registry_open", argumentCount: 3, pure: true) { values in
            guard let label = String.fromDatabaseValue(values[0]), let sealed = Data.fromDatabaseValue(values[2]) else { return nil }
            let key = try requireKey()
            do {
                return try key.open(sealed, label: label, boundTo: binding(values[1]))
            } catch {
                throw DatabaseError(message: "sealed_value_altered: a sealed \(label) does not open for its row under this registry's key (altered, or moved from another row)")
            }
        })
        db.add(function: DatabaseFunction("registry_open_unbound", argumentCount: 2, pure: true) { values in
            guard let label = String.fromDatabaseValue(values[0]), let sealed = Data.fromDatabaseValue(values[1]) else { return nil }
            let key = try requireKey()
            do {
                return try key.openUnbound(sealed, label: label)
            } catch {
                throw DatabaseError(message: "sealed_value_altered: a sealed \(label) does not open under this registry's key")
            }
        })
    }
}
