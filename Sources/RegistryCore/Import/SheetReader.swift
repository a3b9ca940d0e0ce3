import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads the first sheet of an xlsx workbook row by row, as a spreadsheet program wrote it,
/// in bounded memory.
///
/// The workbook's parts are found as Office Open XML says (`xl/workbook.xml`, its
/// relationships, the shared strings and the styles); the sheet is parsed as it is
/// inflated (``ZippedXML``) on a thread of its own, which hands rows over in batches (at
/// most a few thousand rows wait). The shared strings are kept in one byte buffer.
///
/// Each cell becomes text as the clerk saw it: a shared or inline string as written; a
/// number formatted as a date (the styles say which) as `2025-04-01` (with its time when it
/// has one); any other number as the digits stored, and marked in ``ImportRecord/numbers``,
/// so that a column that must hold text (an ID number, a phone, a code) can refuse it with
/// the reason; a boolean as `TRUE`/`FALSE`. A record's line is the sheet's row number.
final class SheetReader: @unchecked Sendable {
    private let queue = BatchQueue<[ImportRecord]>(capacity: 8)
    private var pending: [ImportRecord] = []
    private var pendingIndex = 0
    private let rows: RowDelegate
    private let finished = DispatchSemaphore(value: 0)
    private var closed = false
    /// The workbook's size in bytes.
    let byteCount: Int

    /// Opens the workbook at `path` and starts reading its first sheet.
    init(path: String) throws(RegistryError) {
        func refuse(_ why: String) -> RegistryError {
            RegistryError(.invalidParams, reason: .invalidXlsx, field: "file", message: "\(path): \(why)")
        }
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw refuse("not an xlsx workbook (its zip container cannot be read); save the sheet as xlsx or CSV (UTF-8)")
        }
        byteCount = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let parts: WorkbookParts
        do throws(ZippedXML.Failure) {
            parts = try WorkbookParts(archive)
        } catch {
            throw refuse(error.message)
        }
        guard let sheetEntry = archive[parts.firstSheet] else { throw refuse("the workbook has no sheet \(parts.firstSheet)") }
        var strings = SharedStrings()
        if let path = parts.sharedStrings, let entry = archive[path] {
            let reader = SharedStringsDelegate()
            do throws(ZippedXML.Failure) {
                try ZippedXML(archive: archive, entry: entry).parse(with: reader)
            } catch {
                throw refuse(error.message)
            }
            if reader.aborted { throw refuse("its shared strings are larger than \(SharedStrings.limit >> 20) MiB") }
            strings = reader.strings
        }
        rows = RowDelegate(strings: strings, dateStyles: parts.dateStyles, date1904: parts.date1904, queue: queue)
        let sheet = ZippedXML(archive: archive, entry: sheetEntry)
        let delegate = rows, queue = queue, finished = finished
        let thread = Thread {
            do throws(ZippedXML.Failure) {
                try sheet.parse(with: delegate)
                delegate.flush()
            } catch {
                delegate.failure = error.message
            }
            queue.close()
            finished.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit { close() }

    /// The next row, or `nil` after the last.
    func next() throws(CSVRecordReader.Malformed) -> ImportRecord? {
        while pendingIndex >= pending.count {
            guard let batches = queue.takeAll() else {
                if let failure = rows.failure {
                    throw CSVRecordReader.Malformed(line: rows.line, message: failure, reason: .invalidXlsx)
                }
                return nil
            }
            pending = Array(batches.joined())
            pendingIndex = 0
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    /// Stops reading (the parsing thread ends) and waits for the thread.
    func close() {
        guard !closed else { return }
        closed = true
        queue.cancel()
        finished.wait()
    }
}

/// A record of a table file, CSV or xlsx: its line (a CSV record's first line, a sheet's
/// row number), its cells, and which cells held a number rather than text (bit `i` for
/// cell `i`; always 0 in CSV).
struct ImportRecord: Sendable {
    var line: Int
    var fields: [String]
    var numbers: UInt64 = 0
}

/// Where the first sheet, the shared strings and the styles of a workbook are, and which
/// cell styles show dates.
private struct WorkbookParts {
    var firstSheet: String
    var sharedStrings: String?
    var dateStyles: Set<Int> = []
    var date1904 = false

    init(_ archive: Archive) throws(ZippedXML.Failure) {
        func part(_ path: String) throws(ZippedXML.Failure) -> Data? {
            guard let entry = archive[path] else { return nil }
            return try ZippedXML(archive: archive, entry: entry).data()
        }
        guard let workbookXML = try part("xl/workbook.xml") else {
            throw ZippedXML.Failure(message: "not an xlsx workbook (it has no xl/workbook.xml); save the sheet as xlsx or CSV (UTF-8)")
        }
        let workbook = ElementCollector(["sheet", "workbookPr"])
        workbook.parse(workbookXML)
        guard let sheet = workbook.elements.first(where: { $0.name == "sheet" }),
              let relation = sheet.attributes.first(where: { $0.key == "r:id" || $0.key.hasSuffix(":id") })?.value else {
            throw ZippedXML.Failure(message: "the workbook lists no sheet")
        }
        let flag = workbook.elements.first { $0.name == "workbookPr" }?.attributes["date1904"]
        date1904 = flag == "1" || flag == "true"
        let relations = ElementCollector(["Relationship"])
        if let data = try part("xl/_rels/workbook.xml.rels") { relations.parse(data) }
        func target(_ element: ElementCollector.Element) -> String? {
            guard let target = element.attributes["Target"] else { return nil }
            return target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        }
        let sheetRelation = relations.elements.first { $0.attributes["Id"] == relation }
        firstSheet = sheetRelation.flatMap(target) ?? "xl/worksheets/sheet1.xml"
        func typed(_ suffix: String) -> String? {
            relations.elements.first { $0.attributes["Type"]?.hasSuffix(suffix) == true }.flatMap(target)
        }
        sharedStrings = typed("/sharedStrings") ?? (archive["xl/sharedStrings.xml"] != nil ? "xl/sharedStrings.xml" : nil)
        if let data = try part(typed("/styles") ?? "xl/styles.xml") {
            dateStyles = Self.dateStyles(data)
        }
    }

    /// The indexes of `cellXfs` whose number format shows a date: the built-in date formats
    /// (14–22, 27–36, 45–47, 50–58) or a custom format with day, month or year codes.
    static func dateStyles(_ styles: Data) -> Set<Int> {
        let collector = ElementCollector(["numFmt", "cellXfs", "xf"])
        collector.parse(styles)
        var custom: [Int: String] = [:]
        var inCellXfs = false
        var index = 0
        var dates: Set<Int> = []
        for element in collector.elements {
            switch element.name {
            case "numFmt":
                if let id = element.attributes["numFmtId"].flatMap(Int.init) { custom[id] = element.attributes["formatCode"] ?? "" }
            case "cellXfs":
                inCellXfs = true
            case "/cellXfs":
                inCellXfs = false
            case "xf" where inCellXfs:
                let id = element.attributes["numFmtId"].flatMap(Int.init) ?? 0
                if custom[id].map(isDateFormat) ?? isBuiltInDate(id) { dates.insert(index) }
                index += 1
            default:
                break
            }
        }
        return dates
    }

    private static func isBuiltInDate(_ id: Int) -> Bool {
        (14...22).contains(id) || (27...36).contains(id) || (45...47).contains(id) || (50...58).contains(id)
    }

    /// Whether a custom format code shows a date: `y`, `m` or `d` outside quoted text,
    /// brackets (colours, locales) and escaped characters.
    private static func isDateFormat(_ code: String) -> Bool {
        var quoted = false, bracketed = false, escaped = false
        for character in code.lowercased() {
            if escaped { escaped = false; continue }
            switch character {
            case "\\": escaped = true
            case "\"": quoted.toggle()
            case "[" where !quoted: bracketed = true
            case "]" where !quoted: bracketed = false
            case "y", "d", "m" where !quoted && !bracketed: return true
            default: break
            }
        }
        return false
    }
}

/// The elements of a small XML part with the given names (and the ends of those among them
/// that enclose others, as `/name`), with their attributes.
private final class ElementCollector: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
    }

    private let names: Set<String>
    private(set) var elements: [Element] = []

    init(_ names: Set<String>) {
        self.names = names
    }

    func parse(_ data: Data) {
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = self
        parser.parse()
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let name = localName(elementName)
        if names.contains(name) { elements.append(Element(name: name, attributes: attributes)) }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let name = localName(elementName)
        if names.contains(name) { elements.append(Element(name: "/" + name, attributes: [:])) }
    }
}

/// An element's name without its namespace prefix (`x:c` → `c`).
private func localName(_ name: String) -> String {
    guard let colon = name.lastIndex(of: ":") else { return name }
    return String(name[name.index(after: colon)...])
}

/// The shared strings of a workbook, in one buffer of UTF-8 bytes.
struct SharedStrings {
    /// The most bytes of text kept (a larger table is refused: it is not a clerk's list).
    static let limit = 512 << 20
    private var bytes: [UInt8] = []
    private var ends: [Int32] = []

    var count: Int { ends.count }
    var byteCount: Int { bytes.count }

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        ends.append(Int32(truncatingIfNeeded: bytes.count))
    }

    subscript(index: Int) -> String? {
        guard index >= 0, index < ends.count else { return nil }
        let start = index == 0 ? 0 : Int(ends[index - 1])
        return String(decoding: bytes[start..<Int(ends[index])], as: UTF8.self)
    }
}

/// Reads `sharedStrings.xml`: each `<si>`'s text (its `<t>` runs, not the phonetic ones).
private final class SharedStringsDelegate: NSObject, XMLParserDelegate, ParseAborting {
    var strings = SharedStrings()
    private var text = ""
    private var inText = false
    private var inPhonetic = false
    private(set) var aborted = false

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch localName(elementName) {
        case "si": text = ""
        case "t": inText = !inPhonetic
        case "rPh": inPhonetic = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        switch localName(elementName) {
        case "si":
            strings.append(text)
            if strings.byteCount > SharedStrings.limit {
                aborted = true
                parser.abortParsing()
            }
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }
}

/// Reads a sheet's rows into ``ImportRecord``s and hands them to the queue in batches.
private final class RowDelegate: NSObject, XMLParserDelegate, ParseAborting, @unchecked Sendable {
    private let strings: SharedStrings
    private let dateStyles: Set<Int>
    private let date1904: Bool
    private let queue: BatchQueue<[ImportRecord]>
    private var batch: [ImportRecord] = []
    /// The row being read, and the width of the first row (the header): later rows are
    /// filled up to it with empty cells.
    private var record = ImportRecord(line: 0, fields: [])
    private var width = 0
    /// The row number of the last row begun (for a failure's message).
    private(set) var line = 0
    private var column = 0
    private var type = ""
    private var style = 0
    private var value = ""
    private var collecting = false
    private var inInline = false
    private var inPhonetic = false
    private(set) var aborted = false
    /// Why the sheet could not be read to its end.
    var failure: String?

    init(strings: SharedStrings, dateStyles: Set<Int>, date1904: Bool, queue: BatchQueue<[ImportRecord]>) {
        self.strings = strings
        self.dateStyles = dateStyles
        self.date1904 = date1904
        self.queue = queue
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch localName(elementName) {
        case "row":
            line = attributes["r"].flatMap(Int.init) ?? line + 1
            record = ImportRecord(line: line, fields: [])
            record.fields.reserveCapacity(width)
        case "c":
            column = attributes["r"].map(Self.columnIndex) ?? record.fields.count
            type = attributes["t"] ?? "n"
            style = attributes["s"].flatMap(Int.init) ?? 0
            value = ""
        case "v":
            collecting = true
        case "is":
            inInline = true
        case "rPh":
            inPhonetic = true
        case "t" where inInline && !inPhonetic:
            collecting = true
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if collecting { value += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        switch localName(elementName) {
        case "v", "t":
            collecting = false
        case "is":
            inInline = false
        case "rPh":
            inPhonetic = false
        case "c":
            var text = value
            var isNumber = false
            switch type {
            case "s":
                text = Int(value).flatMap { strings[$0] } ?? ""
            case "n" where !value.isEmpty:
                if dateStyles.contains(style), let serial = Double(value) {
                    text = Self.dateText(serial: serial, date1904: date1904)
                } else {
                    isNumber = true
                }
            case "b":
                text = value == "1" ? "TRUE" : "FALSE"
            case "d":
                text = value.replacingOccurrences(of: "T", with: " ")
            default:
                break
            }
            guard column < 16_384 else { break }
            while record.fields.count <= column { record.fields.append("") }
            record.fields[column] = text
            if isNumber && column < 64 && !text.isEmpty { record.numbers |= 1 << UInt64(column) }
        case "row":
            // Spreadsheets keep styled empty cells: trailing empty ones are not cells of the
            // table (the header's width is its last titled column).
            while record.fields.count > width, record.fields.last?.isEmpty == true { record.fields.removeLast() }
            if width == 0 { width = record.fields.count }
            while record.fields.count < width { record.fields.append("") }
            batch.append(record)
            if batch.count == 512 {
                guard queue.put(batch, weight: 1) else {
                    aborted = true
                    parser.abortParsing()
                    return
                }
                batch.removeAll(keepingCapacity: true)
            }
        default:
            break
        }
    }

    /// Hands over the last rows.
    func flush() {
        if !batch.isEmpty { queue.put(batch, weight: 1) }
        batch = []
    }

    /// `B7` → 1 (the letters' column, 0-based).
    static func columnIndex(_ reference: String) -> Int {
        var index = 0
        for scalar in reference.unicodeScalars {
            guard scalar.value >= 65, scalar.value <= 90 else { break }
            index = index * 26 + Int(scalar.value - 64)
        }
        return index - 1
    }

    /// A date serial as `2025-04-01`, with ` HH:MM:SS` when it holds a time of day.
    static func dateText(serial: Double, date1904: Bool) -> String {
        let whole = serial.rounded(.down)
        var seconds = Int(((serial - whole) * 86_400).rounded())
        var days = Int(whole) + (date1904 ? 1_462 : 0)
        if seconds == 86_400 { days += 1; seconds = 0 }
        let date = CivilDate(spreadsheetSerial: days)
        guard seconds > 0 else { return date.description }
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(date) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }
}
