import Foundation

/// What clerks' spreadsheets write into a cell, read as the registry means it: white space
/// (ASCII and full-width) trimmed everywhere, full-width digits, letters and punctuation
/// read as ASCII in numbers, codes, ids and dates, the date forms Chinese spreadsheets
/// write, and the signs of a cell that a spreadsheet or an encoding spoiled.
enum CellText {
    /// Trimmed of leading and trailing white space, ASCII or full-width (U+3000), and of
    /// byte-order marks (U+FEFF).
    static func trimmed(_ text: String) -> String {
        WhiteSpace.trimmed(text, orByteOrderMark: true)
    }

    /// Full-width forms (U+FF01–U+FF5E, U+3000) as ASCII, then trimmed: for ID numbers,
    /// phones, codes, unit ids and dates.
    static func folded(_ text: String) -> String {
        // Plain ASCII (most cells) has no full-width form to fold.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return trimmed(text) }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if (0xFF01...0xFF5E).contains(scalar.value), let ascii = Unicode.Scalar(scalar.value - 0xFEE0) {
                scalars.append(ascii)
            } else if scalar.value == 0x3000 {
                scalars.append(" ")
            } else {
                scalars.append(scalar)
            }
        }
        return trimmed(String(scalars))
    }

    /// A date as `2025-04-01`, `2025/4/1`, `2025.4.1` or `2025年4月1日`, optionally followed
    /// by a time of midnight (`0:00`, `00:00:00`). A form whose order is ambiguous
    /// (`04/01/2025`) is refused, as is a day that does not exist.
    static func date(_ raw: String, field: String) throws(RegistryError) -> CivilDate {
        if raw.utf8.count == 10, let date = CivilDate(raw) { return date }
        var text = folded(raw)
        for midnight in [" 00:00:00", " 0:00:00", " 00:00", " 0:00"] where text.hasSuffix(midnight) {
            text = String(text.dropLast(midnight.count))
            break
        }
        if let space = text.firstIndex(of: " "), text[text.index(after: space)...].contains(":") {
            throw RegistryError.invalid(field, "found '\(raw)': the day holds a time (\(text[text.index(after: space)...])); a date here is a day only: write it as 2025-04-01",
                                        reason: .invalidDate)
        }
        if text.hasSuffix("日") { text = String(text.dropLast()) }
        let parts = text.split(omittingEmptySubsequences: false) { "-/.年月".contains($0) }.map(String.init)
        func refuse(_ why: String) -> RegistryError {
            RegistryError.invalid(field, "found '\(raw)': \(why); write the date as 2025-04-01 (2025/4/1, 2025.4.1 and 2025年4月1日 are read too)",
                                  reason: .invalidDate)
        }
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw refuse("not a date")
        }
        guard parts[0].count == 4 else {
            throw refuse(parts[2].count == 4 ? "the order of day and month is ambiguous with the year last" : "the year must come first, with 4 digits")
        }
        guard parts[1].count <= 2, parts[2].count <= 2, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              let date = CivilDate(year: year, month: month, day: day) else {
            throw refuse("no such day")
        }
        return date
    }

    /// An ID number's text, with the refusal of what a spreadsheet made of it: a number in
    /// scientific notation (`3.41522E+17`: digits past the 15th are lost).
    static func idNumber(_ raw: String, field: String) throws(RegistryError) -> String {
        let text = folded(raw)
        let bytes = Array(text.utf8)
        let exponent = bytes.indices.dropFirst().contains { bytes[$0] == 0x2B && (bytes[$0 - 1] == 0x45 || bytes[$0 - 1] == 0x65) }
        if exponent || (bytes.contains(0x2E) && bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E })) {
            throw RegistryError.invalid(field, "found '\(raw)': the spreadsheet stored the ID number as a number, and its digits past the 15th are lost; format the column as text and type the numbers again",
                                        reason: .invalidIdNumber)
        }
        return text
    }

    /// A name or an address: trimmed; `?` or U+FFFD in it are characters lost to a wrong
    /// encoding (a file saved through a charset that could not hold them), refused.
    static func words(_ raw: String, field: String) throws(RegistryError) -> String {
        let text = trimmed(raw)
        if text.unicodeScalars.contains(where: { $0 == "?" || $0 == "\u{FFFD}" || $0 == "？" }) {
            throw RegistryError.invalid(field, "found '\(text)': '?' stands for characters lost when the file was saved in an encoding that could not hold them; save it as UTF-8 (or xlsx) and import again")
        }
        return text
    }

    /// A phone: 11 digits starting with 1 (mobile), or 0 and 2–3 area digits followed by 7–8
    /// digits, with or without one `-` after the area code. The value is not echoed (it is
    /// personal data): its length and shape are.
    static func phone(_ raw: String, field: String) throws(RegistryError) -> String {
        let text = folded(raw)
        let digits = text.replacingOccurrences(of: "-", with: "")
        let dashes = text.filter { $0 == "-" }.count
        let mobile = digits.count == 11 && digits.hasPrefix("1") && dashes == 0
        var landline = false
        if digits.hasPrefix("0"), digits.allSatisfy(\.isASCIIDigit), (10...12).contains(digits.count) {
            if dashes == 0 { landline = true }
            if dashes == 1, let dash = text.firstIndex(of: "-") {
                let area = text.distance(from: text.startIndex, to: dash)
                landline = (3...4).contains(area) && (7...8).contains(digits.count - area)
            }
        }
        guard (mobile || landline) && digits.allSatisfy(\.isASCIIDigit) else {
            throw RegistryError.invalid(field, "found \(text.count) characters that are not a phone number: expected 11 digits starting with 1, or a landline such as 0376-12345678 (a leading 0 dropped by a spreadsheet must be typed again)")
        }
        return text
    }
}
