import Foundation

/// The rules for free-text and code fields, each failing with a message naming the field.
public enum TextRules {
    /// A name or address: trimmed, not empty, at most `maxLength` characters, no control
    /// characters (but line breaks and tabs when `multiline`, as addresses typed in a
    /// spreadsheet may hold them), no bidirectional-override characters (which make a
    /// name display as another), and not starting with `=`, `+`, `-` or `@` (which a
    /// spreadsheet opening an export would run as a formula).
    static func text(_ value: String, field: String, maxLength: Int = 200, multiline: Bool = false) throws(RegistryError) -> String {
        // The common case, checked on bytes: no white space at either end, no control
        // characters, no formula start, nothing that could be a bidirectional override
        // (all of which are encoded with the lead byte 0xE2).
        let utf8 = value.utf8
        if let first = utf8.first, let last = utf8.last, first > 0x20, last > 0x20, first != 0x7F, last != 0x7F,
           !formulaStarts.contains(first), utf8.count <= maxLength, !Self.hasControlCharacter(utf8), !utf8.contains(0xE2),
           value.first?.isWhitespace == false, value.last?.isWhitespace == false {
            return value
        }
        let trimmed = WhiteSpace.trimmed(value)
        guard !trimmed.isEmpty else { throw .invalid(field, "must not be empty") }
        guard trimmed.count <= maxLength else { throw .invalid(field, "must be at most \(maxLength) characters") }
        let allowed: Set<Unicode.Scalar> = multiline ? ["\n", "\r", "\t"] : []
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !allowed.contains($0) }) else {
            throw .invalid(field, multiline ? "must not contain control characters other than line breaks and tabs" : "must not contain control characters")
        }
        try refuseBidiOverrides(trimmed, field: field)
        if let first = trimmed.utf8.first, formulaStarts.contains(first) {
            throw .invalid(field, "must not begin with =, +, - or @ (a spreadsheet would run it as a formula)")
        }
        return trimmed
    }

    /// The first bytes that make a spreadsheet read a cell as a formula: `=`, `+`, `-`, `@`.
    static let formulaStarts: Set<UInt8> = [0x3D, 0x2B, 0x2D, 0x40]

    /// Who acts (`--operator`, `REGISTRY_OPERATOR`, a signed-in username): trimmed, 1 to 64
    /// characters, no control or bidirectional-override characters (which could forge
    /// lines or columns of `registry audit list`).
    public static func operatorName(_ value: String) throws(RegistryError) -> String {
        try plainText(value, field: "operator", maxLength: 64)
    }

    /// A reveal's purpose: trimmed, at most 200 characters, no control or
    /// bidirectional-override characters. `nil` when empty after trimming.
    public static func purpose(_ value: String?) throws(RegistryError) -> String? {
        guard let value, !WhiteSpace.trimmed(value).isEmpty else { return nil }
        return try plainText(value, field: "purpose", maxLength: 200)
    }

    private static func plainText(_ value: String, field: String, maxLength: Int) throws(RegistryError) -> String {
        let trimmed = WhiteSpace.trimmed(value)
        guard !trimmed.isEmpty else { throw .invalid(field, "must not be empty") }
        guard trimmed.count <= maxLength else { throw .invalid(field, "must be at most \(maxLength) characters") }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field, "must not contain control characters")
        }
        try refuseBidiOverrides(trimmed, field: field)
        return trimmed
    }

    /// Refuses U+202A–U+202E and U+2066–U+2069, which reorder how text is displayed.
    static func refuseBidiOverrides(_ value: String, field: String) throws(RegistryError) {
        if value.unicodeScalars.contains(where: { (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) }) {
            throw .invalid(field, "must not contain bidirectional-override characters (U+202A–U+202E, U+2066–U+2069)")
        }
    }

    /// Whether UTF-8 text holds a C0 or C1 control character or DEL (general category Cc).
    static func hasControlCharacter(_ utf8: String.UTF8View) -> Bool {
        var previous: UInt8 = 0
        for byte in utf8 {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(byte)) { return true }
            previous = byte
        }
        return false
    }

    /// A phone number: 3 to 20 characters of digits, `+`, `-` and spaces.
    static func phone(_ value: String, field: String) throws(RegistryError) -> String {
        // Told from its bytes when there is nothing to trim (every registration checks a
        // phone on the writing thread; Foundation's trimming cost 3% of the write rate).
        let bytes = value.utf8
        if (3...20).contains(bytes.count), bytes.first != 0x20, bytes.last != 0x20,
           bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2B || $0 == 0x2D || $0 == 0x20 }),
           bytes.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) {
            return value
        }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard (3...20).contains(trimmed.count),
              trimmed.allSatisfy({ $0.isASCIIDigit || $0 == "+" || $0 == "-" || $0 == " " }),
              trimmed.contains(where: \.isASCIIDigit) else {
            // The value is not echoed: a message may reach a log, and a phone is personal data.
            throw .invalid(field, "is not a phone number (3 to 20 digits, +, - or spaces; \(value.count) characters given)")
        }
        return trimmed
    }

    /// A hukou code: a division code of 6, 9 or 12 digits starting with a province code.
    static func hukouCode(_ value: String, field: String) throws(RegistryError) -> String {
        guard [6, 9, 12].contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .invalid(field, "'\(value)' is not a division code of 6, 9 or 12 digits")
        }
        guard IDNumber.provinceCodes.contains(String(value.prefix(2))) else {
            throw .invalid(field, "'\(value)' does not start with a province code")
        }
        return value
    }

    /// An area code: digits only, 6 to 15 of them.
    static func areaCode(_ value: String, field: String) throws(RegistryError) -> String {
        guard (6...15).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw RegistryError.invalid(field, "'\(value)' is not an area code (6 to 15 digits)", reason: .invalidAreaCode)
        }
        return value
    }

    /// A unit id: 1 to 64 printable characters without spaces at either end.
    static func unitId(_ value: String, field: String) throws(RegistryError) -> String {
        let trimmed = WhiteSpace.trimmed(value)
        guard !trimmed.isEmpty, trimmed.count <= 64,
              !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field, "must be 1 to 64 printable characters")
        }
        return trimmed
    }
}

/// A page size: `limit` defaults to 100 and must be 1 to 1000.
public struct PageLimit: Decodable, Sendable {
    public let value: Int
    public static let standard = PageLimit(checked: 100)

    private init(checked value: Int) { self.value = value }

    /// A page size given in code: 1 to 1000, else `invalid_params` on `limit`.
    public init(_ value: Int) throws(RegistryError) {
        guard (1...1000).contains(value) else { throw RegistryError.invalid("limit", "must be 1 to 1000, not \(value)") }
        self.value = value
    }

    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Int.self)
        guard (1...1000).contains(value) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "out of range",
                underlyingError: RegistryError(.invalidParams, reason: .invalidParams, message: "must be 1 to 1000, not \(value)")))
        }
        self.value = value
    }
}

extension Character {
    /// 0 to 9 only (not other scripts' digits), checked without Unicode property tables.
    var isASCIIDigit: Bool {
        guard let ascii = asciiValue else { return false }
        return ascii >= 0x30 && ascii <= 0x39
    }
}
