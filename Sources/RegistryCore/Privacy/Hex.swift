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
}
