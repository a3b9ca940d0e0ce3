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

    static func unreadable(_ path: String) -> RegistryError {
        RegistryError(.notFound, reason: .noFile, field: "file", message: "cannot read \(path)")
    }
}

/// Converts GB18030 text to UTF-8 block by block, in memory, as a file is read: no
/// converted copy of the file is written anywhere (an import's file holds personal data).
/// A character cut at the end of one block is carried over to the next.
struct GB18030Decoder {
    private let converter: iconv_t
    private var carry: [UInt8] = []

    init() throws(RegistryError) {
        converter = iconv_open("UTF-8", "GB18030")
        guard converter != iconv_t(bitPattern: -1) else {
            throw RegistryError.storage("this system's iconv cannot read GB18030")
        }
    }

    func close() { iconv_close(converter) }

    /// The UTF-8 text of `input` (after what was carried over); `final` at the end of the file.
    /// - Throws: when the bytes are not GB18030 text, or the file ends inside a character.
    mutating func convert(_ input: UnsafeRawBufferPointer, final: Bool) throws(RegistryError) -> [UInt8] {
        var bytes = carry
        bytes.append(contentsOf: input)
        carry = []
        if bytes.isEmpty { return [] }
        var out = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        var inLeft = bytes.count, outLeft = out.count
        let result = bytes.withUnsafeMutableBytes { inRaw in
            out.withUnsafeMutableBytes { outRaw in
                var inPointer: UnsafeMutablePointer<CChar>? = inRaw.baseAddress!.assumingMemoryBound(to: CChar.self)
                var outPointer: UnsafeMutablePointer<CChar>? = outRaw.baseAddress!.assumingMemoryBound(to: CChar.self)
                return iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
            }
        }
        if (result == -1 && errno == EILSEQ) || (final && inLeft > 0) {
            throw RegistryError(.invalidParams, reason: .invalidEncoding, field: "file",
                                message: "the file is neither UTF-8 nor GB18030 text")
        }
        carry = Array(bytes[(bytes.count - inLeft)...])
        out.removeSubrange((out.count - outLeft)...)
        return out
    }
}
