/// The command line's readable form of a result: tables for lists, `key: value` lines for
/// single records. It is built from the same ``JSONValue`` that `--json` prints, so the two
/// never disagree; only the layout differs.
public enum ResultText {
    public static func render(_ value: JSONValue) -> String {
        guard case let .object(pairs) = value else { return cell(value, key: "") }
        var lines: [String] = []
        var scalars: [(String, JSONValue)] = []
        var lists: [(String, [JSONValue])] = []
        for (key, item) in pairs {
            if case let .array(items) = item, items.allSatisfy(isObject) { lists.append((key, items)) }
            else { scalars.append((key, item)) }
        }
        // A bare list (plus its `next` cursor) prints as a table alone.
        let keyWidth = scalars.map { DisplayWidth.of($0.0) }.max() ?? 0
        for (key, item) in scalars where !(key == "next" && item == .null) {
            lines.append(DisplayWidth.pad(key + ":", to: keyWidth + 1) + " " + cell(item, key: key))
        }
        for (key, items) in lists {
            if !scalars.isEmpty || lists.count > 1 { lines.append(""); lines.append("\(key):") }
            lines.append(contentsOf: table(items))
        }
        return lines.joined(separator: "\n")
    }

    private static func isObject(_ value: JSONValue) -> Bool {
        if case .object = value { return true }
        return false
    }

    /// Rows of objects as an aligned table; nested objects become columns of their own.
    public static func table(_ rows: [JSONValue]) -> [String] {
        guard !rows.isEmpty else { return ["(none)"] }
        var columns: [String] = []
        var cells: [[String: String]] = []
        var numeric: Set<String> = []
        for row in rows {
            var flat: [String: String] = [:]
            guard case let .object(pairs) = row else { continue }
            for (key, value) in pairs {
                if case let .object(inner) = value {
                    for (innerKey, innerValue) in inner {
                        if !columns.contains(innerKey) { columns.append(innerKey) }
                        flat[innerKey] = cell(innerValue, key: innerKey)
                        if isNumber(innerValue) { numeric.insert(innerKey) }
                    }
                } else {
                    if !columns.contains(key) { columns.append(key) }
                    flat[key] = cell(value, key: key)
                    if isNumber(value) { numeric.insert(key) }
                }
            }
            cells.append(flat)
        }
        let widths = columns.map { column in
            max(DisplayWidth.of(column), cells.map { DisplayWidth.of($0[column] ?? "") }.max() ?? 0)
        }
        func line(_ values: [String]) -> String {
            zip(columns, zip(values, widths)).map { column, pair in
                DisplayWidth.pad(pair.0, to: pair.1, right: numeric.contains(column))
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = [line(columns), line(widths.map { String(repeating: "-", count: $0) })]
        out += cells.map { row in line(columns.map { row[$0] ?? "" }) }
        return out
    }

    private static func isNumber(_ value: JSONValue) -> Bool {
        switch value {
        case .int, .double: true
        default: false
        }
    }

    /// One value as table text: `-` for null, shares and rates as percentages.
    static func cell(_ value: JSONValue, key: String) -> String {
        switch value {
        case .null: return "-"
        case let .bool(b): return b ? "yes" : "no"
        case let .int(i): return String(i)
        case let .double(d):
            if key == "rate" || key.hasSuffix("Share") || key == "threshold" {
                return formatPercent(d)
            }
            return "\(d)"
        case let .string(s): return s
        case let .array(items):
            return items.map { item in
                if case let .object(pairs) = item {
                    return pairs.filter { $0.0 != "province" }.map { cell($0.1, key: $0.0) }.joined(separator: " ")
                }
                return cell(item, key: key)
            }.joined(separator: ", ")
        case let .object(pairs):
            return pairs.map { "\($0.0)=\(cell($0.1, key: $0.0))" }.joined(separator: " ")
        }
    }

    static func formatPercent(_ d: Double) -> String {
        let tenths = Int((d * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
