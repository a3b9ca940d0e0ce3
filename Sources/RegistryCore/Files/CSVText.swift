/// RFC 4180 CSV text: the export side.
///
/// Written here rather than with CSV.swift's `CSVWriter`, which hands its stream one byte
/// per call: an export of a million events would make over a hundred million calls. A
/// field is quoted when it holds a comma, a quote, CR or LF, with quotes doubled; rows end
/// with CRLF.
public enum CSVText {
    /// The UTF-8 byte-order mark, so that spreadsheet programs show Chinese text.
    public static let byteOrderMark = "\u{FEFF}"

    /// Appends one row (CRLF-terminated) to `out`.
    public static func appendRow(_ fields: [String], to out: inout String) {
        for (index, field) in fields.enumerated() {
            if index > 0 { out += "," }
            appendField(field, to: &out)
        }
        out += "\r\n"
    }

    public static func appendField(_ field: String, to out: inout String) {
        var needsQuotes = false
        for byte in field.utf8 where byte == 0x2C || byte == 0x22 || byte == 0x0D || byte == 0x0A {
            needsQuotes = true
            break
        }
        guard needsQuotes else {
            out += field
            return
        }
        out += "\""
        for character in field.unicodeScalars {
            if character == "\"" { out += "\"\"" } else { out.unicodeScalars.append(character) }
        }
        out += "\""
    }

    /// Appends one field given as UTF-8 bytes (a column's text as SQLite holds it), quoted
    /// as ``appendField(_:to:)`` quotes it.
    static func appendField(_ field: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard field.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else {
            out.append(contentsOf: field)
            return
        }
        out.append(0x22)
        for byte in field {
            if byte == 0x22 { out.append(0x22) }
            out.append(byte)
        }
        out.append(0x22)
    }
}
