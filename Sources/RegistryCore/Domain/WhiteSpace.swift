/// White space at the ends of text, trimmed in Swift.
///
/// Foundation's `trimmingCharacters(in:)` bridges each string through `NSString` on Linux:
/// a tenth of a units import went there, and every Chinese name or address a request
/// carries took that path. The set is exactly `CharacterSet.whitespacesAndNewlines`:
/// Unicode's `White_Space` property and, as Foundation has it, U+200B ZERO WIDTH SPACE (a
/// test compares every scalar with Foundation's). Trimming works on Unicode scalars, as
/// Foundation's does.
///
///     WhiteSpace.trimmed("\u{3000}王芳 ")   // "王芳"
///     WhiteSpace.trimmed("\u{FEFF}王芳", orByteOrderMark: true)   // "王芳"
enum WhiteSpace {
    /// Whether `scalar` is white space or a line break (`CharacterSet.whitespacesAndNewlines`).
    static func contains(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// `text` without white space and line breaks at either end; with `orByteOrderMark`,
    /// without U+FEFF there too (a spreadsheet's stray byte-order mark).
    static func trimmed(_ text: String, orByteOrderMark: Bool = false) -> String {
        // Most text has nothing to trim: told from its first and last bytes (printable ASCII).
        if let first = text.utf8.first, let last = text.utf8.last,
           first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F {
            return text
        }
        func trims(_ scalar: Unicode.Scalar) -> Bool {
            contains(scalar) || (orByteOrderMark && scalar.value == 0xFEFF)
        }
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !trims($0) }) else { return "" }
        var end = scalars.endIndex
        while trims(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        if start == scalars.startIndex && end == scalars.endIndex { return text }
        return String(scalars[start..<end])
    }
}
