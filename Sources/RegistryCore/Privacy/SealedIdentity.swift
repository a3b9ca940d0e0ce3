import Foundation

/// A request that can seal some of its personal data before its transaction, from the
/// request alone (no database): the JSON-RPC server's reading thread does it while the
/// writing thread runs the previous group, so that AES-GCM and HMAC work overlap SQLite's.
/// `execute` uses what was sealed only when it was sealed under the registry's own key,
/// and seals on the spot otherwise: the result is the same either way.
protocol SealsAhead {
    mutating func sealAhead(with key: RegistryKey)
}

/// A person's ID number and phone sealed ahead (``SealsAhead``), bound to the blind index
/// as ``ResidentRecord`` stores them.
struct SealedIdentity: Sendable {
    /// The key's check value: what was sealed is used only under the same key.
    var keyCheck: String
    var blindIndex: Data
    var idCipher: Data
    /// The phone as checked (trimmed), and its cipher; nil when there is none or it is invalid.
    var phone: String?
    var phoneCipher: Data?

    init?(idNumber: IDNumber, phone: String?, key: RegistryKey) {
        keyCheck = key.checkValue
        blindIndex = key.blindIndex(idNumber.value)
        guard let idCipher = try? key.seal(idNumber.value, label: PersonalDataCipher.Label.residentID, boundTo: blindIndex) else { return nil }
        self.idCipher = idCipher
        if let phone, let checked = try? TextRules.phone(phone, field: "phone") {
            self.phone = checked
            phoneCipher = try? key.seal(checked, label: PersonalDataCipher.Label.residentPhone, boundTo: blindIndex)
        }
    }

    /// This, if sealed under `key`.
    func under(_ key: RegistryKey) -> SealedIdentity? {
        keyCheck == key.checkValue ? self : nil
    }
}
