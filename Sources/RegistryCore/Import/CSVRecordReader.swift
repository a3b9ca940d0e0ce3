#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads RFC 4180 records from a UTF-8 file, block by block, with the line each record
/// starts on.
///
/// Written here rather than with CSV.swift's reader, which on Linux reports a read error
/// at every end of file (its `InputStream` says bytes are available until a read returns
/// zero) and pulls one byte per call. Accepts a leading byte-order mark, CRLF or LF line
/// ends, quoted cells with doubled quotes and line breaks inside; a last record without a
/// line end is still a record.
final class CSVRecordReader {
    /// A malformed file: where and why.
    struct Malformed: Error {
        var line: Int
        var message: String
        /// `invalid_csv`, or `invalid_encoding` for text that is neither UTF-8 nor GB18030.
        var reason = RegistryError.Reason.invalidCsv
    }

    private let fd: Int32
    private var block: [UInt8]
    private var position = 0
    private var count = 0
    private var atEnd = false
    private var firstBlock = true
    /// The line the next record starts on (1-based).
    private(set) var line = 1
    /// Converts a GB18030 file as it is read (nil for UTF-8).
    private var decoder: GB18030Decoder?
    /// The raw bytes of a GB18030 file before conversion.
    private var raw: [UInt8] = []
    /// Why the text could not be decoded, once it could not.
    private var decodingFailure: RegistryError?

    /// Opens `path`; `gb18030` converts its text to UTF-8 as it is read, in memory.
    init(path: String, gb18030: Bool = false) throws(RegistryError) {
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TextEncoding.unreadable(path) }
        block = [UInt8](repeating: 0, count: 1 << 20)
        if gb18030 {
            do throws(RegistryError) {
                decoder = try GB18030Decoder()
            } catch {
                _ = Glibc.close(fd)
                throw error
            }
            raw = [UInt8](repeating: 0, count: 1 << 19)
        }
    }

    func close() {
        _ = Glibc.close(fd)
        decoder?.close()
    }

    /// The size of the file in bytes (0 when it cannot be told).
    var byteCount: Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    private func fill() -> Bool {
        guard !atEnd else { return false }
        if decoder != nil { return fillDecoded() }
        while true {
            let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { atEnd = true; return false }
            count = n
            position = 0
            if firstBlock {
                firstBlock = false
                if n >= 3 && block[0] == 0xEF && block[1] == 0xBB && block[2] == 0xBF { position = 3 }
            }
            return true
        }
    }

    /// Reads raw GB18030 bytes and puts their UTF-8 text in the block.
    private func fillDecoded() -> Bool {
        while true {
            let n = raw.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            var converted: [UInt8] = []
            let input = Array(raw[..<max(n, 0)])
            do throws(RegistryError) {
                try input.withUnsafeBytes { bytes in
                    do throws(RegistryError) { converted = try decoder!.convert(bytes, final: n <= 0) } catch { decodingFailure = error }
                }
                if let decodingFailure { throw decodingFailure }
            } catch {
                decodingFailure = error
                atEnd = true
                return false
            }
            if converted.isEmpty {
                if n <= 0 { atEnd = true; return false }
                continue
            }
            if converted.count > block.count { block = [UInt8](repeating: 0, count: converted.count) }
            block.replaceSubrange(0..<converted.count, with: converted)
            count = converted.count
            position = 0
            return true
        }
    }

    /// The next record and the line it starts on, or `nil` at the end of the file.
    func next() throws(Malformed) -> (line: Int, fields: [String])? {
        if position >= count && !fill() {
            try failIfUndecodable()
            return nil
        }
        let startLine = line
        var fields: [String] = []
        var field: [UInt8] = []
        field.reserveCapacity(64)
        var quoted = false       // inside a quoted cell
        var wasQuoted = false    // the current cell was quoted (only a separator may follow its closing quote)
        var pendingCR = false
        while true {
            if position >= count && !fill() {
                try failIfUndecodable()
                if quoted { throw Malformed(line: startLine, message: "a quoted cell is not closed before the end of the file") }
                fields.append(String(decoding: field, as: UTF8.self))
                return (startLine, fields)
            }
            let byte = block[position]
            position += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if position >= count && !fill() {
                        quoted = false
                        continue
                    }
                    if block[position] == UInt8(ascii: "\"") {
                        field.append(byte)
                        position += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == 0x0A { line += 1 }
                    field.append(byte)
                }
                continue
            }
            if pendingCR && byte != 0x0A {
                throw Malformed(line: line, message: "a carriage return is not followed by a line feed")
            }
            switch byte {
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                wasQuoted = false
            case 0x0D:
                pendingCR = true
            case 0x0A:
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                return (startLine, fields)
            case UInt8(ascii: "\""):
                guard field.isEmpty, !wasQuoted else {
                    throw Malformed(line: line, message: "a quote inside a cell that does not start with one")
                }
                quoted = true
                wasQuoted = true
            default:
                if wasQuoted {
                    throw Malformed(line: line, message: "text after the closing quote of a cell")
                }
                field.append(byte)
            }
        }
    }

    private func failIfUndecodable() throws(Malformed) {
        if let decodingFailure {
            throw Malformed(line: line, message: decodingFailure.message, reason: decodingFailure.reason)
        }
    }
}
