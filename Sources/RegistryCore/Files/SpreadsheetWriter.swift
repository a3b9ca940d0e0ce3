#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An xlsx workbook written row by row and streamed into an ``OutputSink`` as it is
/// written: never whole in memory or on disk.
///
/// ```swift
/// let book = try SpreadsheetWriter(sheetName: "台账", columns: columns, into: sink)
/// book.text(0, "1"); book.date(2, someDay); try book.endRow()
/// try book.finish()   // the caller then finishes the sink
/// ```
///
/// Row 1 of every sheet holds the columns' Chinese titles, bold and frozen. A text column's
/// cells are inline string cells formatted `@`, so an ID number or a phone is never a number
/// (Excel, WPS and LibreOffice keep all 18 characters); a date column's cells are date
/// serials shown `yyyy-mm-dd`. A string cell is never a formula, whatever it starts with:
/// nothing needs defusing as in CSV. After `rowsPerSheet` rows (1,048,575, Excel's limit
/// under the title row) the rows go on on a new sheet named with a number (`台账 2`).
///
/// The sheet XML is made here, on the caller's thread, in blocks of 256 KiB; a second
/// thread deflates the blocks into the zip container (``ZipStream``) and writes them to the
/// sink, so the export's reading and the compression share the two cores. At most 4 MiB of
/// XML wait between them. The parts Excel needs besides the sheets (content types,
/// relationships, the workbook, the styles) are written at the end, once the sheets are
/// known. libxlsxwriter was measured first for this (see docs/design.md).
final class SpreadsheetWriter {
    /// Data rows a sheet holds under its title row (Excel's limit is 1,048,576 rows).
    static let maxRowsPerSheet = 1_048_575

    private let columns: [SpreadsheetColumn]
    private let sheetName: String
    private let rowsPerSheet: Int
    private var sheetNames: [String] = []
    /// The XML being gathered, handed over at 256 KiB.
    private var xml: [UInt8] = []
    /// The row being written on the current sheet (1 is the title row) and its digits.
    private var row = 0
    private var rowDigits: [UInt8] = []
    private var rowOpen = false
    private let letters: [[UInt8]]
    private let compressor: Compressor
    private var closed = false

    private static let blockSize = 1 << 18

    /// Starts a workbook whose sheets are named `sheetName` (then `sheetName 2`, …),
    /// streamed into `sink`.
    init(sheetName: String, columns: [SpreadsheetColumn], rowsPerSheet: Int = SpreadsheetWriter.maxRowsPerSheet,
         into sink: OutputSink) throws(RegistryError) {
        self.columns = columns
        self.sheetName = sheetName
        self.rowsPerSheet = rowsPerSheet
        letters = columns.indices.map { Array(Self.columnLetters($0).utf8) }
        compressor = Compressor(zip: ZipStream(into: sink))
        xml.reserveCapacity(Self.blockSize + 4096)
        try startSheet()
    }

    deinit { abandon() }

    // MARK: - Cells

    /// Writes a text cell from a NUL-terminated C string (SQLite's column text).
    func text(_ column: Int, cString: UnsafePointer<CChar>) {
        let count = strlen(cString)
        cString.withMemoryRebound(to: UInt8.self, capacity: count) { text(column, bytes: UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// Writes a text cell; an empty text leaves the cell blank.
    func text(_ column: Int, _ value: String) {
        var value = value
        value.withUTF8 { text(column, bytes: $0) }
    }

    /// Writes a text cell from UTF-8 bytes; none leave the cell blank.
    ///
    /// The bytes are appended in one access to the buffer (a class's stored property is
    /// checked for exclusive access at each use: per byte, that check cost a third of the
    /// export's time).
    func text(_ column: Int, bytes: UnsafeBufferPointer<UInt8>) {
        guard let first = bytes.first, let last = bytes.last else { return }
        let reference = letters[column]
        let digits = rowDigits
        if !rowOpen { openRow() }
        Self.appendText(bytes, preserve: Self.isSpace(first) || Self.isSpace(last), reference: reference, row: digits, to: &xml)
    }

    /// The cell `<c r="D7" s="2" t="inlineStr"><is><t>…</t></is></c>`, the text escaped.
    private static func appendText(_ bytes: UnsafeBufferPointer<UInt8>, preserve: Bool, reference: [UInt8], row: [UInt8],
                                   to xml: inout [UInt8]) {
        xml.append(contentsOf: cellStart)
        xml.append(contentsOf: reference)
        xml.append(contentsOf: row)
        xml.append(contentsOf: textCellStart)
        if preserve { xml.append(contentsOf: Self.preserve) }
        xml.append(0x3E) // >
        if !bytes.contains(where: { $0 < 0x20 || $0 == 0x26 || $0 == 0x3C || $0 == 0x3E }) {
            xml.append(contentsOf: bytes)
        } else {
            for byte in bytes {
                switch byte {
                case 0x26: xml.append(contentsOf: amp)
                case 0x3C: xml.append(contentsOf: lt)
                case 0x3E: xml.append(contentsOf: gt)
                case 0x09, 0x0A, 0x0D: xml.append(byte)
                case 0..<0x20: xml.append(contentsOf: replacement) // not allowed in XML 1.0
                default: xml.append(byte)
                }
            }
        }
        xml.append(contentsOf: textCellEnd)
    }

    /// Writes a date cell (a serial day number shown `yyyy-mm-dd`).
    func date(_ column: Int, _ value: CivilDate) {
        if !rowOpen { openRow() }
        Self.appendDate(value.spreadsheetSerial, reference: letters[column], row: rowDigits, to: &xml)
    }

    private static func appendDate(_ serial: Int, reference: [UInt8], row: [UInt8], to xml: inout [UInt8]) {
        xml.append(contentsOf: cellStart)
        xml.append(contentsOf: reference)
        xml.append(contentsOf: row)
        xml.append(contentsOf: dateCellStart)
        xml.append(contentsOf: String(serial).utf8)
        xml.append(contentsOf: dateCellEnd)
    }

    /// Ends the row; a full sheet is followed by a new one.
    func endRow() throws(RegistryError) {
        if !rowOpen { openRow() }
        xml.append(contentsOf: Self.rowEnd)
        rowOpen = false
        if row - 1 == rowsPerSheet {
            try endSheet()
            try startSheet()
        } else {
            row += 1
            rowDigits = Array(String(row).utf8)
        }
        if xml.count >= Self.blockSize { try handOver() }
    }

    // MARK: - The workbook

    /// Ends the last sheet, writes the workbook's other parts and the zip's directory, and
    /// waits until every byte is in the sink (which the caller then finishes).
    func finish() throws(RegistryError) {
        try endSheet()
        try part("[Content_Types].xml", contentTypes)
        try part("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="\(Self.packageRelationships)"><Relationship Id="rId1" Type="\(Self.relationships)/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """)
        try part("xl/workbook.xml", workbook)
        try part("xl/_rels/workbook.xml.rels", workbookRelationships)
        try part("xl/styles.xml", Self.styles)
        closed = true
        try compressor.finish()
    }

    /// Gives up: the compressing thread stops; the caller abandons the sink.
    func abandon() {
        guard !closed else { return }
        closed = true
        compressor.cancel()
    }

    // MARK: - Writing

    private func startSheet() throws(RegistryError) {
        sheetNames.append(sheetNames.isEmpty ? sheetName : "\(sheetName) \(sheetNames.count + 1)")
        try compressor.put(.begin("xl/worksheets/sheet\(sheetNames.count).xml"))
        var head = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="\(Self.main)" xmlns:r="\(Self.relationships)"><sheetViews><sheetView \(sheetNames.count == 1 ? "tabSelected=\"1\" " : "")workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>
            """
        for (index, column) in columns.enumerated() {
            head += "<col min=\"\(index + 1)\" max=\"\(index + 1)\" width=\"\(column.width)\" style=\"\(column.kind == .date ? 3 : 2)\" customWidth=\"1\"/>"
        }
        head += "</cols><sheetData>"
        xml.append(contentsOf: head.utf8)
        row = 1
        rowDigits = [0x31]
        openRow()
        for (index, column) in columns.enumerated() {
            cellStart(index)
            xml.append(contentsOf: Self.titleCellStart)
            xml.append(contentsOf: column.title.utf8)
            xml.append(contentsOf: Self.textCellEnd)
        }
        xml.append(contentsOf: Self.rowEnd)
        rowOpen = false
        row = 2
        rowDigits = [0x32]
    }

    private func endSheet() throws(RegistryError) {
        xml.append(contentsOf: "</sheetData></worksheet>".utf8)
        try handOver()
        try compressor.put(.end)
    }

    private func part(_ name: String, _ text: String) throws(RegistryError) {
        try compressor.put(.begin(name))
        try compressor.put(.bytes(Array(text.utf8)))
        try compressor.put(.end)
    }

    private func handOver() throws(RegistryError) {
        guard !xml.isEmpty else { return }
        let block = xml
        xml = []
        xml.reserveCapacity(Self.blockSize + 4096)
        try compressor.put(.bytes(block))
    }

    private func openRow() {
        xml.append(contentsOf: Self.rowStart)
        xml.append(contentsOf: rowDigits)
        xml.append(contentsOf: Self.tagEnd)
        rowOpen = true
    }

    private func cellStart(_ column: Int) {
        if !rowOpen { openRow() }
        xml.append(contentsOf: Self.cellStart)
        xml.append(contentsOf: letters[column])
        xml.append(contentsOf: rowDigits)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// `0` → `A`, `25` → `Z`, `26` → `AA`.
    static func columnLetters(_ index: Int) -> String {
        var index = index + 1
        var letters = ""
        while index > 0 {
            let remainder = (index - 1) % 26
            letters = String(UnicodeScalar(UInt8(65 + remainder))) + letters
            index = (index - 1) / 26
        }
        return letters
    }

    private var contentTypes: String {
        var text = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
            """
        for index in sheetNames.indices {
            text += "<Override PartName=\"/xl/worksheets/sheet\(index + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        }
        return text + "</Types>"
    }

    private var workbook: String {
        var text = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="\(Self.main)" xmlns:r="\(Self.relationships)"><workbookPr/><bookViews><workbookView/></bookViews><sheets>
            """
        for (index, name) in sheetNames.enumerated() {
            text += "<sheet name=\"\(name)\" sheetId=\"\(index + 1)\" r:id=\"rId\(index + 1)\"/>"
        }
        return text + "</sheets></workbook>"
    }

    private var workbookRelationships: String {
        var text = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="\(Self.packageRelationships)">
            """
        for index in sheetNames.indices {
            text += "<Relationship Id=\"rId\(index + 1)\" Type=\"\(Self.relationships)/worksheet\" Target=\"worksheets/sheet\(index + 1).xml\"/>"
        }
        return text + "<Relationship Id=\"rId\(sheetNames.count + 1)\" Type=\"\(Self.relationships)/styles\" Target=\"styles.xml\"/></Relationships>"
    }

    private static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    private static let relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    private static let packageRelationships = "http://schemas.openxmlformats.org/package/2006/relationships"

    /// Styles: 0 the default, 1 the titles (bold, text), 2 text (`@`), 3 dates (`yyyy-mm-dd`).
    private static let styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="\(main)"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyNumberFormat="1"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>
        """

    private static let rowStart = Array("<row r=\"".utf8), tagEnd = Array("\">".utf8), rowEnd = Array("</row>".utf8)
    private static let cellStart = Array("<c r=\"".utf8)
    private static let titleCellStart = Array("\" s=\"1\" t=\"inlineStr\"><is><t>".utf8)
    private static let textCellStart = Array("\" s=\"2\" t=\"inlineStr\"><is><t".utf8)
    private static let preserve = Array(" xml:space=\"preserve\"".utf8)
    private static let textCellEnd = Array("</t></is></c>".utf8)
    private static let dateCellStart = Array("\" s=\"3\"><v>".utf8), dateCellEnd = Array("</v></c>".utf8)
    private static let amp = Array("&amp;".utf8), lt = Array("&lt;".utf8), gt = Array("&gt;".utf8)
    private static let replacement = Array("\u{FFFD}".utf8)
}

extension SpreadsheetWriter {
    /// What the writing thread hands to the compressing one.
    enum Piece: Sendable {
        case begin(String)
        case bytes([UInt8])
        case end
    }

    /// The compressing thread: deflates the pieces into the zip container and the sink.
    final class Compressor: @unchecked Sendable {
        private let zip: ZipStream
        private let queue = BatchQueue<Piece>(capacity: 4 << 20)
        private let done = DispatchSemaphore(value: 0)
        private var failure: RegistryError?
        private var stopped = false

        init(zip: ZipStream) {
            self.zip = zip
            let thread = Thread { [self] in run() }
            thread.stackSize = 1 << 20
            thread.start()
        }

        /// Hands a piece over, waiting while 4 MiB wait; throws what stopped the thread.
        func put(_ piece: Piece) throws(RegistryError) {
            let weight: Int
            if case let .bytes(bytes) = piece { weight = bytes.count } else { weight = 1 }
            guard queue.put(piece, weight: weight) else {
                stop()
                throw failure ?? RegistryError.storage("the workbook was abandoned")
            }
        }

        /// No more pieces: the thread writes the zip's directory and ends.
        func finish() throws(RegistryError) {
            queue.close()
            stop()
            if let failure { throw failure }
        }

        /// Stops the thread without finishing the archive.
        func cancel() {
            queue.cancel()
            stop()
        }

        private func stop() {
            guard !stopped else { return }
            stopped = true
            done.wait()
        }

        private func run() {
            defer { done.signal() }
            do throws(RegistryError) {
                while let pieces = queue.takeAll() {
                    for piece in pieces {
                        switch piece {
                        case let .begin(name): try zip.begin(name)
                        case let .bytes(bytes): try bytes.withUnsafeBufferPointer { bytes throws(RegistryError) in try zip.write(bytes) }
                        case .end: try zip.end()
                        }
                    }
                }
                if !queue.wasCancelled { try zip.finish() }
            } catch {
                failure = error
                queue.cancel()
            }
        }
    }
}

/// One column of a spreadsheet export: its Chinese title, how its cells are written, and
/// its width in characters.
struct SpreadsheetColumn: Sendable {
    enum Kind: Sendable {
        /// A string cell formatted as text (`@`).
        case text
        /// A date cell shown `yyyy-mm-dd`.
        case date
    }

    var title: String
    var kind: Kind
    var width: Double

    /// The column `name` of a CSV export (`id_number`), titled as ``ColumnTitles`` says.
    init(_ name: String, _ kind: Kind = .text) {
        title = ColumnTitles.chinese[name] ?? name
        self.kind = kind
        width = Self.widths[name] ?? 12
    }

    private static let widths: [String: Double] = [
        "seq": 9, "type": 10, "id_number": 21, "name": 10, "sex": 6, "migrant": 9, "unit_id": 17, "from_unit_id": 17,
        "address": 32, "recorded_at": 26, "hukou_code": 12, "grid": 14,
    ]
}

extension CivilDate {
    /// The day as a spreadsheet's serial number: days since 1899-12-30 (1 March 1900 on,
    /// where Excel's and LibreOffice's counts agree).
    var spreadsheetSerial: Int { dayNumber + Self.serialOf1970 }

    /// The day of a spreadsheet's serial number (1900 date system).
    init(spreadsheetSerial serial: Int) {
        self.init(dayNumber: serial - Self.serialOf1970)
    }

    /// 1970-01-01's serial number.
    private static let serialOf1970 = 25_569
}
