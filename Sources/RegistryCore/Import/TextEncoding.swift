#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The text encodings an import accepts: UTF-8 (with or without a byte-order mark) and
/// GB18030, which Excel and WPS save in Chinese locales.
public enum TextEncoding: String, ContractEnum {
    case utf8 = "utf-8"
    case gb18030

    /// Whether the file at `path` is valid UTF-8 throughout (read in blocks, never whole).
    static func isUTF8(path: String) throws(RegistryError) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw unreadable(path) }
        defer { try? handle.close() }
        var carry: [UInt8] = []
        while true {
            let block = handle.readData(ofLength: 1 << 20)
            if block.isEmpty { return carry.isEmpty }
            var bytes = carry + [UInt8](block)
            // Hold back an incomplete sequence at the end for the next block.
            var cut = bytes.count
            var back = 0
            while cut > 0, back < 3, bytes[cut - 1] & 0xC0 == 0x80 { cut -= 1; back += 1 }
            if cut > 0 {
                let lead = bytes[cut - 1]
                let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
                if length > bytes.count - (cut - 1) { cut -= 1 } else { cut = bytes.count }
            }
            carry = Array(bytes[cut...])
            bytes.removeSubrange(cut...)
            if String(validating: bytes, as: UTF8.self) == nil { return false }
        }
    }

    /// Converts a GB18030 file to a temporary UTF-8 file with iconv, block by block.
    /// - Returns: the temporary file's path (the caller removes it).
    static func convertGB18030(path: String) throws(RegistryError) -> String {
        guard let input = FileHandle(forReadingAtPath: path) else { throw unreadable(path) }
        defer { try? input.close() }
        let temporary = NSTemporaryDirectory() + "registry-import-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).csv"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]),
              let output = FileHandle(forWritingAtPath: temporary) else {
            throw RegistryError.storage("cannot create a temporary file for the converted text")
        }
        defer { try? output.close() }
        let converter = iconv_open("UTF-8", "GB18030")
        guard converter != iconv_t(bitPattern: -1) else {
            throw RegistryError.storage("this system's iconv cannot read GB18030")
        }
        defer { iconv_close(converter) }
        var carry: [UInt8] = []
        var line = 1
        while true {
            let block = input.readData(ofLength: 1 << 20)
            var bytes = carry + [UInt8](block)
            if bytes.isEmpty { break }
            var out = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
            var inLeft = bytes.count, outLeft = out.count
            let result = bytes.withUnsafeMutableBytes { inRaw in
                out.withUnsafeMutableBytes { outRaw in
                    var inPointer: UnsafeMutablePointer<CChar>? = inRaw.baseAddress!.assumingMemoryBound(to: CChar.self)
                    var outPointer: UnsafeMutablePointer<CChar>? = outRaw.baseAddress!.assumingMemoryBound(to: CChar.self)
                    return iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                }
            }
            let consumed = bytes.count - inLeft
            if result == -1 && errno == EILSEQ || (block.isEmpty && inLeft > 0) {
                line += bytes[..<consumed].filter { $0 == 0x0A }.count
                try? FileManager.default.removeItem(atPath: temporary)
                throw RegistryError(.invalidParams, reason: "invalid_encoding", field: "file",
                                    message: "line \(line): the file is neither UTF-8 nor GB18030 text")
            }
            line += bytes[..<consumed].filter { $0 == 0x0A }.count
            output.write(Data(out[..<(out.count - outLeft)]))
            carry = Array(bytes[consumed...])
            if block.isEmpty { break }
        }
        return temporary
    }

    static func unreadable(_ path: String) -> RegistryError {
        RegistryError(.notFound, reason: "no_file", field: "file", message: "cannot read \(path)")
    }
}
