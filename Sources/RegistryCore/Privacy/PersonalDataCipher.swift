import Crypto
import Foundation
import GRDB

/// Encryption at rest of ID numbers and phone numbers, offered to SQL as functions on the
/// registry's connection, so that every statement that stores or finds a person says so
/// where it touches the column:
///
/// | function | gives |
/// |---|---|
/// | `registry_blind(id)` | the blind index: HMAC-SHA256 of the ID number under the index key, first 16 bytes |
/// | `registry_seal(label, text)` | AES-256-GCM: 12-byte random nonce, ciphertext, 16-byte tag; NULL for NULL |
/// | `registry_open(label, blob)` | the text again; fails if the blob was altered or sealed under another label or key |
/// | `registry_mask(id)` | the masked form (`411525********1234`), which needs no key |
///
/// `label` names the column (`resident.id_number`) and is authenticated with the
/// ciphertext, so a sealed value moved to another column does not open. What the analyzer
/// needs (sex, birth date, hukou code) and the masked ID number stay readable.
///
/// Without a key (a copy of the database opened without its key file) the functions that
/// need one fail with `key_missing`, and everything else works: statistics, masked lists,
/// `registry check`, backups.
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
        db.add(function: DatabaseFunction("registry_blind", argumentCount: 1, pure: true) { values in
            guard let text = String.fromDatabaseValue(values[0]) else { return nil }
            return try requireKey().blindIndex(text)
        })
        db.add(function: DatabaseFunction("registry_seal", argumentCount: 2, pure: false) { values in
            guard let label = String.fromDatabaseValue(values[0]), let text = String.fromDatabaseValue(values[1]) else { return nil }
            return try requireKey().seal(text, label: label)
        })
        db.add(function: DatabaseFunction("registry_open", argumentCount: 2, pure: true) { values in
            guard let label = String.fromDatabaseValue(values[0]), let sealed = Data.fromDatabaseValue(values[1]) else { return nil }
            let key = try requireKey()
            do {
                return try key.open(sealed, label: label)
            } catch {
                throw DatabaseError(message: "sealed_value_altered: a sealed \(label) does not open under this registry's key (altered, or moved from elsewhere)")
            }
        })
        db.add(function: DatabaseFunction("registry_mask", argumentCount: 1, pure: true) { values in
            String.fromDatabaseValue(values[0]).map(IDNumber.mask)
        })
    }
}
