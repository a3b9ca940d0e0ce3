/// RFC 4180 CSV text: the export side.
///
/// Written here rather than with CSV.swift's `CSVWriter`, which hands its stream one byte
/// per call: an export of a million events would make over a hundred million calls. A
/// field is quoted when it holds a comma, a quote, CR or LF, with quotes doubled; rows end
/// with CRLF. A field that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets
/// a leading `'`, so that a spreadsheet shows it as text instead of running it as a
/// formula (`=HYPERLINK(…)` in a name stays a name).
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
        var bytes: [UInt8] = []
        var copy = field
        copy.withUTF8 { appendField($0, to: &bytes) }
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// Whether a cell starting with `byte` would be run as a formula: `=`, `+`, `-`, `@`, tab, CR.
    static func startsFormula(_ byte: UInt8) -> Bool {
        byte == 0x3D || byte == 0x2B || byte == 0x2D || byte == 0x40 || byte == 0x09 || byte == 0x0D
    }

    /// Appends one field given as UTF-8 bytes (a column's text as SQLite holds it), quoted
    /// and defused as the type's documentation says.
    static func appendField(_ field: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let defuse = field.first.map(startsFormula) ?? false
        guard field.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else {
            if defuse { out.append(0x27) }
            out.append(contentsOf: field)
            return
        }
        out.append(0x22)
        if defuse { out.append(0x27) }
        for byte in field {
            if byte == 0x22 { out.append(0x22) }
            out.append(byte)
        }
        out.append(0x22)
    }
}

/// Where an export query's columns are: the first `columns` are the CSV's, in its header's
/// order; the ID number's place holds the resident row (NULL for none), opened from the
/// sealed number in `idCipher`, bound to `idIndex`; `birthDate` is masked with the ID
/// number; `boolean` (0 or 1) is written `false` or `true`.
struct CSVLayout: Sendable {
    var columns: Int32
    var idNumber: Int32
    var birthDate: Int32
    var boolean: Int32
    var idIndex: Int32
    var idCipher: Int32
    /// For spreadsheets: the sex column (`male`/`female`, shown 男/女), the event type's
    /// (shown in Chinese; -1 for none) and the columns of dates (date cells).
    var sex: Int32
    var eventType: Int32 = -1
    var dates: [Int32]
}
