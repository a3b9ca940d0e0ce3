#if canImport(Glibc)
import Glibc
#endif
import CXLSXWriter
import Foundation

/// An xlsx workbook written row by row with libxlsxwriter, in constant memory, then handed
/// to an ``OutputSink``.
///
/// ```swift
/// let book = try SpreadsheetWriter(sheetName: "台账", columns: SpreadsheetColumn.ledger)
/// book.text(0, "1"); book.date(2, someDay); book.endRow()
/// try book.finish(into: sink)
/// ```
///
/// Row 1 of every sheet holds the columns' Chinese titles, frozen. A text column's cells are
/// string cells formatted `@`, so an ID number or a phone is never a number (Excel, WPS and
/// LibreOffice keep all 18 characters); a date column's cells are date serials shown
/// `yyyy-mm-dd`. A string cell is never a formula, whatever it starts with: nothing needs
/// defusing as in CSV. After 1,048,575 rows a sheet is full and the next rows go to a new
/// sheet named with a number (`台账 2`), with the titles again.
///
/// libxlsxwriter's constant-memory mode keeps one row in memory and writes each sheet's XML
/// to an unnamed temporary file; the workbook itself is written to a temporary file that is
/// unlinked as soon as it is made (libxlsxwriter reopens it through `/proc/self/fd`), so a
/// killed export leaves no personal data behind in the temporary folder. Only at
/// ``finish(into:)`` are its bytes copied into the sink.
final class SpreadsheetWriter {
    /// Data rows a sheet holds under its title row (Excel's limit is 1,048,576 rows).
    static let maxRowsPerSheet = 1_048_575
    /// Data rows per sheet: ``maxRowsPerSheet`` but in tests.
    private let rowsPerSheet: Int

    private let columns: [SpreadsheetColumn]
    private let sheetName: String
    private var workbook: UnsafeMutablePointer<lxw_workbook>?
    private var sheet: UnsafeMutablePointer<lxw_worksheet>!
    private var fd: Int32
    /// The temporary folder's path, kept alive for libxlsxwriter's sheet files.
    private var temporaryFolder: [CChar]
    private let titleFormat: UnsafeMutablePointer<lxw_format>
    private let textFormat: UnsafeMutablePointer<lxw_format>
    private let dateFormat: UnsafeMutablePointer<lxw_format>
    /// The row being written on the current sheet (0 is the title row).
    private var row: lxw_row_t = 0
    private var sheets = 0
    private var failure: lxw_error = LXW_NO_ERROR
    private var cell: [CChar] = []

    /// Starts a workbook whose sheets are named `sheetName` (then `sheetName 2`, …).
    init(sheetName: String, columns: [SpreadsheetColumn], rowsPerSheet: Int = SpreadsheetWriter.maxRowsPerSheet) throws(RegistryError) {
        self.rowsPerSheet = rowsPerSheet
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((directory + "/registry-xlsx.XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw RegistryError.storage("cannot make a temporary file for the workbook in \(directory): \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        fd = descriptor
        temporaryFolder = Array(directory.utf8CString)
        let opened = temporaryFolder.withUnsafeMutableBufferPointer { tmpdir in
            var options = lxw_workbook_options(constant_memory: UInt8(LXW_TRUE.rawValue), tmpdir: tmpdir.baseAddress,
                                               use_zip64: UInt8(LXW_FALSE.rawValue))
            return workbook_new_opt("/proc/self/fd/\(descriptor)", &options)
        }
        guard let opened else {
            close(descriptor)
            throw RegistryError.storage("cannot start the workbook")
        }
        workbook = opened
        self.columns = columns
        self.sheetName = sheetName
        titleFormat = workbook_add_format(opened)
        format_set_bold(titleFormat)
        textFormat = workbook_add_format(opened)
        format_set_num_format(textFormat, "@")
        dateFormat = workbook_add_format(opened)
        format_set_num_format(dateFormat, "yyyy-mm-dd")
        cell.reserveCapacity(256)
        try startSheet()
    }

    deinit { abandon() }

    private func startSheet() throws(RegistryError) {
        sheets += 1
        let name = sheets == 1 ? sheetName : "\(sheetName) \(sheets)"
        guard let workbook, let added = workbook_add_worksheet(workbook, name) else {
            throw RegistryError.storage("cannot add the sheet \(name) to the workbook")
        }
        sheet = added
        for (index, column) in columns.enumerated() {
            let format = column.kind == .date ? dateFormat : textFormat
            check(worksheet_set_column(sheet, lxw_col_t(index), lxw_col_t(index), column.width, format))
        }
        worksheet_freeze_panes(sheet, 1, 0)
        for (index, column) in columns.enumerated() {
            check(worksheet_write_string(sheet, 0, lxw_col_t(index), column.title, titleFormat))
        }
        row = 1
    }

    private func check(_ result: lxw_error) {
        if result != LXW_NO_ERROR && failure == LXW_NO_ERROR { failure = result }
    }

    /// Writes a text cell from a NUL-terminated C string (SQLite's column text).
    func text(_ column: Int, cString: UnsafePointer<CChar>) {
        check(worksheet_write_string(sheet, row, lxw_col_t(column), cString, textFormat))
    }

    /// Writes a text cell; an empty text leaves the cell blank.
    func text(_ column: Int, _ value: String) {
        guard !value.isEmpty else { return }
        check(worksheet_write_string(sheet, row, lxw_col_t(column), value, textFormat))
    }

    /// Writes a text cell from UTF-8 bytes.
    func text(_ column: Int, bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return }
        cell.removeAll(keepingCapacity: true)
        for byte in bytes { cell.append(CChar(bitPattern: byte)) }
        cell.append(0)
        check(cell.withUnsafeBufferPointer { worksheet_write_string(sheet, row, lxw_col_t(column), $0.baseAddress, textFormat) })
    }

    /// Writes a date cell (a serial day number shown `yyyy-mm-dd`).
    func date(_ column: Int, _ value: CivilDate) {
        check(worksheet_write_number(sheet, row, lxw_col_t(column), Double(value.spreadsheetSerial), dateFormat))
    }

    /// Ends the row; a full sheet is followed by a new one.
    func endRow() throws(RegistryError) {
        if failure != LXW_NO_ERROR { throw Self.error(failure) }
        if row == lxw_row_t(rowsPerSheet) {
            try startSheet()
        } else {
            row += 1
        }
    }

    /// Closes the workbook and copies its bytes into `sink` (which the caller finishes).
    func finish(into sink: OutputSink) throws(RegistryError) {
        if failure != LXW_NO_ERROR { throw Self.error(failure) }
        guard let book = workbook else { throw RegistryError.storage("the workbook was already closed") }
        workbook = nil
        let closed = workbook_close(book)
        guard closed == LXW_NO_ERROR else { throw Self.error(closed) }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw RegistryError.storage("cannot read the workbook back: \(String(cString: strerror(errno)))") }
        var block = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw RegistryError.storage("cannot read the workbook back: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            try sink.appendBytes { $0.append(contentsOf: block[0..<count]) }
        }
        close(fd)
        fd = -1
    }

    /// Gives up: frees the workbook without writing it, and closes (so frees) its file.
    func abandon() {
        if let book = workbook {
            workbook = nil
            lxw_workbook_free(book)
        }
        if fd >= 0 { close(fd) }
        fd = -1
    }

    private static func error(_ code: lxw_error) -> RegistryError {
        RegistryError.storage("cannot write the workbook: \(String(cString: lxw_strerror(code)))")
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
    var spreadsheetSerial: Int { dayNumber + 25_569 }
}
