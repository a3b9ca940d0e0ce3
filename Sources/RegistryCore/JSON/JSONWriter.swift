/// Writes ``JSONValue``s as compact JSON text (RFC 8259), keys in their given order.
///
/// Hand-written because Foundation's encoder neither keeps key order nor writes `null`
/// for absent optionals, and because responses are on the JSON-RPC hot path.
public enum JSONWriter {
    /// The compact JSON text of `value`.
    public static func string(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(128)
        write(value, into: &out)
        return out
    }

    /// Appends the compact JSON text of `value` to `out`.
    public static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            if !d.isFinite {
                out += "null"
            } else if d == d.rounded(), abs(d) < 1e15 {
                out += String(Int64(d))
                out += ".0"
            } else {
                out += "\(d)"
            }
        case let .string(s): writeString(s, into: &out)
        case let .array(items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case let .object(pairs):
            out += "{"
            for (index, (key, item)) in pairs.enumerated() {
                if index > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                write(item, into: &out)
            }
            out += "}"
        }
    }

    /// Whether `s` holds a quote, a backslash or a control character, which a JSON string
    /// literal escapes; everything else is written as it is.
    static func needsEscaping(_ s: String) -> Bool {
        s.utf8.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
    }

    /// Appends `s` as a JSON string literal: quotes, backslashes and control characters escaped,
    /// everything else (Chinese text included) as UTF-8.
    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        if !needsEscaping(s) {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
