import Foundation

/// A citizen ID number (公民身份号码, GB 11643-1999), validated and in its 18-character form.
///
/// Parsing implements every rule of the contract: 17 digits and a check character
/// (ISO 7064 MOD 11-2, `X` for 10; a lower-case `x` is accepted), a province code, a real
/// birth date between 1900-01-01 and today; a 15-digit legacy number is converted to
/// 18 digits (century `19`, check character computed). Sex and birth date are read from it.
///
/// The full number is personal data: print ``masked`` unless the caller asked to reveal it.
public struct IDNumber: Hashable, Sendable, CustomStringConvertible {
    /// The 18-character form, with an upper-case `X` when the check character is 10.
    public let value: String
    /// The birth date, from characters 7–14.
    public let birthDate: CivilDate
    /// Male when the 17th character is odd, female when even.
    public let sex: Sex

    /// The province codes the standard allows (first two digits), 83 being residence
    /// permits of Taiwan residents.
    public static let provinceCodes: Set<String> = {
        var codes: [Int] = []
        codes += Array(11...15) + Array(21...23) + Array(31...37) + Array(41...46)
        codes += Array(50...54) + Array(61...65) + [71, 81, 82, 83]
        return Set(codes.map(String.init))
    }()

    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The check character for the first 17 digits (ISO 7064 MOD 11-2).
    public static func checkCharacter(for digits17: some StringProtocol) -> Character {
        var sum = 0
        for (digit, weight) in zip(digits17.utf8, weights) {
            sum += Int(digit - UInt8(ascii: "0")) * weight
        }
        return checkCharacters[sum % 11]
    }

    /// Validates `text` against every rule, as of `today` (the birth date may not be later).
    /// - Throws: ``RegistryError`` with reason `invalid_id_number` and a message naming the rule.
    public init(_ text: String, today: CivilDate = .today()) throws(RegistryError) {
        func refuse(_ rule: String) -> RegistryError {
            RegistryError(.invalidParams, reason: .invalidIdNumber, message: "ID number \(rule)")
        }
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            throw refuse("must be written with the characters 0-9 and X only")
        }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        var body: String
        switch bytes.count {
        case 18:
            guard bytes[0..<17].allSatisfy(isDigit) else {
                throw refuse("must have 17 digits before the check character")
            }
            let last = bytes[17]
            guard isDigit(last) || last == UInt8(ascii: "X") || last == UInt8(ascii: "x") else {
                throw refuse("must end with a digit or X as its check character")
            }
            body = String(decoding: bytes[0..<17], as: UTF8.self)
        case 15:
            guard bytes.allSatisfy(isDigit) else {
                throw refuse("of 15 characters (the legacy form) must be all digits")
            }
            body = String(decoding: bytes[0..<6], as: UTF8.self) + "19" + String(decoding: bytes[6..<15], as: UTF8.self)
        default:
            throw refuse("must have 18 characters (or be a 15-digit legacy number), not \(text.count)")
        }
        let province = String(body.prefix(2))
        guard IDNumber.provinceCodes.contains(province) else {
            throw refuse("starts with \(province), which is not a province code")
        }
        let birthText = Array(body.utf8)[6..<14]
        let y = Int(String(decoding: birthText[6..<10], as: UTF8.self))!
        let m = Int(String(decoding: birthText[10..<12], as: UTF8.self))!
        let d = Int(String(decoding: birthText[12..<14], as: UTF8.self))!
        guard let birth = CivilDate(year: y, month: m, day: d) else {
            throw refuse("holds the birth date \(String(decoding: birthText, as: UTF8.self)), which is not a real date")
        }
        guard birth >= CivilDate(year: 1900, month: 1, day: 1)! else {
            throw refuse("holds the birth date \(birth), before 1900-01-01")
        }
        guard birth <= today else {
            throw refuse("holds the birth date \(birth), after today (\(today))")
        }
        let expected = IDNumber.checkCharacter(for: body)
        if bytes.count == 18 {
            let given = Character(String(UnicodeScalar(bytes[17])).uppercased())
            guard given == expected else {
                throw refuse("has the check character \(given), which its first 17 digits do not give: a digit or the check character was mistyped")
            }
        }
        value = body + String(expected)
        birthDate = birth
        sex = (Array(body.utf8)[16] - UInt8(ascii: "0")) % 2 == 1 ? .male : .female
    }

    /// The division code of the place that issued the number (first 6 digits), the default hukou code.
    public var divisionCode: String { String(value.prefix(6)) }

    /// First 6 characters, 8 asterisks, last 4: `411525********0012`.
    public var masked: String { IDNumber.mask(value) }

    /// Masks any stored 18-character ID number the same way as ``masked``.
    public static func mask(_ value: String) -> String {
        let utf8 = value.utf8
        if utf8.count == 18, utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII, as every valid number is: the bytes directly (every response masks one).
            var bytes = Array(utf8)
            for index in 6..<14 { bytes[index] = 0x2A }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard value.count == 18 else { return String(repeating: "*", count: value.count) }
        return value.prefix(6) + "********" + value.suffix(4)
    }

    public var description: String { masked }
}

/// Sex as read from the ID number's 17th character.
public enum Sex: String, Sendable, Codable, CaseIterable {
    case male, female
}

extension IDNumber: Decodable {
    /// Decodes and validates an ID number; a bad one fails with reason `invalid_id_number`
    /// blamed on the field it came from.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        let today = decoder.userInfo[.registryToday] as? CivilDate ?? .today()
        do {
            try self.init(text, today: today)
        } catch {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: error.message, underlyingError: error))
        }
    }
}

extension CodingUserInfoKey {
    /// The date that counts as today when decoding requests (tests fix it; the default is the local date).
    public static let registryToday = CodingUserInfoKey(rawValue: "registryToday")!
}
