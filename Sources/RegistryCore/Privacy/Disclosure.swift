import Foundation

/// How a request shows personal data: masked, the default, or revealed with a stated
/// purpose (and audited).
///
/// Masked output must not let anyone rebuild an ID number or read a phone, alone or with
/// the fields shown beside it: the 8 hidden digits of a masked ID number are the birth
/// date, so the birth date beside it is masked too.
///
/// | value | masked | revealed |
/// |---|---|---|
/// | ID number | `411525********0012` | `411525199001010012` |
/// | birth date | `1990-**-**` | `1990-01-01` |
/// | phone | `138****5852` | `13800005852` |
///
/// Nothing masked is stored: the masked form is made here from the opened sealed value.
struct Disclosure: Sendable {
    /// Whether values are shown in full.
    let reveal: Bool
    /// The key that opens sealed values.
    let key: RegistryKey

    /// The ID number sealed in `cipher` for the resident whose blind index is `index`, as shown.
    func idNumber(cipher: some DataProtocol, index: some DataProtocol) throws(RegistryError) -> String {
        let clear = try open(cipher, label: PersonalDataCipher.Label.residentID, binding: index)
        return reveal ? clear : IDNumber.mask(clear)
    }

    /// A phone sealed in `cipher` with `label`, bound to `binding`, as shown.
    func phone(cipher: (some DataProtocol)?, label: String = PersonalDataCipher.Label.residentPhone,
               binding: some DataProtocol) throws(RegistryError) -> String? {
        guard let cipher else { return nil }
        let clear = try open(cipher, label: label, binding: binding)
        return reveal ? clear : Self.maskPhone(clear)
    }

    /// A birth date (`YYYY-MM-DD`) as shown beside an ID number.
    func birthDate(_ date: String) -> String {
        reveal ? date : Self.maskBirthDate(date)
    }

    /// `1973-06-15` → `1973-**-**`.
    static func maskBirthDate(_ date: String) -> String {
        String(date.prefix(4)) + "-**-**"
    }

    /// `13800005852` → `138****5852`; fewer than 8 characters → as many asterisks.
    static func maskPhone(_ phone: String) -> String {
        let characters = Array(phone)
        guard characters.count >= 8 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(3)) + "****" + String(characters.suffix(4))
    }

    private func open(_ cipher: some DataProtocol, label: String, binding: some DataProtocol) throws(RegistryError) -> String {
        do {
            return try key.open(cipher, label: label, boundTo: binding)
        } catch {
            throw Self.altered(label)
        }
    }

    /// The refusal when a sealed value does not open for its row.
    static func altered(_ label: String) -> RegistryError {
        RegistryError(.internalError, reason: .sealedValueAltered, field: nil,
                      message: "a sealed \(label) does not open for its row under this registry's key: it was altered or moved from another row behind the registry's back (run `registry check`)")
    }
}
