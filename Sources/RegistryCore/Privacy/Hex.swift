/// Lower-case hexadecimal text of bytes: how digests and key checks are written.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `[0x1f, 0xa0]` → `"1fa0"`.
    static func string(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// ``string(_:)`` of contiguous bytes, written straight into the string's storage
    /// (every ledger event's hash is written so).
    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var at = 0
            for byte in bytes {
                out[at] = digits[Int(byte >> 4)]
                out[at + 1] = digits[Int(byte & 0x0F)]
                at += 2
            }
            return at
        }
    }
}
