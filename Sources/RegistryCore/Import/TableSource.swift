#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The records of an import file: a CSV file (UTF-8, or GB18030 converted as it is read) or
/// the first sheet of an xlsx workbook, told apart by their first bytes, not their names.
///
/// An Excel 97–2003 workbook (`.xls`) is refused with the way out: save it as xlsx or CSV.
enum TableSource {
    case csv(CSVRecordReader)
    case sheet(SheetReader)

    /// Opens `path`; `encoding` applies to CSV only (`nil`: UTF-8 unless the text is not).
    static func open(path: String, encoding: TextEncoding?) throws(RegistryError) -> TableSource {
        let magic = Self.firstBytes(path, count: 8)
        if magic.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return .sheet(try SheetReader(path: path))
        }
        if magic.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw RegistryError(.invalidParams, reason: .invalidXlsx, field: "file",
                                message: "\(path) is an Excel 97-2003 workbook (.xls), which is not read: save it as xlsx (Excel 工作簿) or CSV UTF-8 and import that")
        }
        var gb18030 = encoding == .gb18030
        if encoding == nil { gb18030 = !(try TextEncoding.isUTF8(path: path)) }
        return .csv(try CSVRecordReader(path: path, gb18030: gb18030))
    }

    /// The next record, or `nil` at the end of the file.
    func next() throws(CSVRecordReader.Malformed) -> ImportRecord? {
        switch self {
        case let .csv(reader):
            return try reader.next().map { ImportRecord(line: $0.line, fields: $0.fields) }
        case let .sheet(reader):
            return try reader.next()
        }
    }

    func close() {
        switch self {
        case let .csv(reader): reader.close()
        case let .sheet(reader): reader.close()
        }
    }

    /// The file's size in bytes.
    var byteCount: Int {
        switch self {
        case let .csv(reader): reader.byteCount
        case let .sheet(reader): reader.byteCount
        }
    }

    private static func firstBytes(_ path: String, count: Int) -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, count) }
        return Array(bytes.prefix(max(read, 0)))
    }
}
