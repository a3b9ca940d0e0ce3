import Crypto
import Foundation
import Testing
@testable import RegistryCore

/// The exact bytes and hashes of a few chain links, under a fixed key. Every database's
/// `registry check` depends on them: a change of JSONWriter's escaping, of the column
/// order or of the key derivation would break every existing chain, and must fail here
/// first (then it needs a schema version and a migration, not a silent change).
@Suite("Chain links, pinned")
struct ChainGoldenTests {
    /// A fixed master key: 32 bytes 0x00, 0x01, … 0x1f.
    static let key = RegistryKey(master: SymmetricKey(data: Data((0..<32).map { UInt8($0) })))

    static let unitAdded: [JSONValue] = [
        .int(1), .string("unit_added"), .string("2025-01-05"), .null, .null, .null, .null, .null, .null,
        .string("U1"), .string("秀水路1号"), .string("411525003001001"), .string("411525003001"), .string("411525003"),
        .string("clerk-chen"), .string("2026-11-30T08:00:00.000Z"),
    ]
    static let moveIn: [JSONValue] = [
        .int(2), .string("move_in"), .string("2025-03-01"), .int(1), .string("王\"小\"明\\"), .string("male"), .string("1990-01-01"),
        .string("341522"), .int(1), .string("U1"), .string("秀水路1号\n2单元"), .string("411525003001001"), .string("411525003001"),
        .string("411525003"), .string("clerk-chen"), .string("2026-11-30T08:00:01.000Z"),
    ]

    @Test("the text a ledger link covers, byte for byte")
    func linkText() {
        let text = HashChain.linkText(previous: HashChain.genesis, values: Self.unitAdded)
        #expect(text == String(repeating: "0", count: 64) + "\n"
            + #"[1,"unit_added","2025-01-05",null,null,null,null,null,null,"U1","秀水路1号","411525003001001","411525003001","411525003","clerk-chen","2026-11-30T08:00:00.000Z"]"#)
        let second = HashChain.linkText(previous: "ab", values: Self.moveIn)
        #expect(second == "ab\n" + #"[2,"move_in","2025-03-01",1,"王\"小\"明\\","male","1990-01-01","341522",1,"U1","秀水路1号\n2单元","411525003001001","411525003001","411525003","clerk-chen","2026-11-30T08:00:01.000Z"]"#)
    }

    @Test("the link's bytes are JSONWriter's text for every kind of value, escapes and Chinese included")
    func linkBytesAreJSONWriters() {
        var random = SystemRandomNumberGenerator()
        let pieces = ["王", "秀水路", "\"", "\\", "\n", "\u{1}", "a", "1", " ", "\t", "😀", "/"]
        for _ in 0..<2_000 {
            let values: [JSONValue] = (0..<Int.random(in: 0...17, using: &random)).map { _ in
                switch Int.random(in: 0...5, using: &random) {
                case 0: return .null
                case 1: return .int(Int64.random(in: Int64.min...Int64.max, using: &random))
                case 2: return .bool(Bool.random(using: &random))
                case 3: return .double(Double.random(in: -1e6...1e6, using: &random))
                default: return .string((0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
                }
            }
            let previous = String(repeating: "f", count: 64)
            #expect(HashChain.linkText(previous: previous, values: values) == previous + "\n" + JSONWriter.string(.array(values)))
        }
    }

    @Test("JSONWriter's escapes, pinned: quote, backslash, the three named controls, the others as \\u00XX; everything else as UTF-8")
    func escapesPinned() {
        let text = JSONWriter.string(.string("a\"b\\c\nd\re\tf\u{1}g\u{1f}h\u{7f}王😀/"))
        #expect(text == #""a\"b\\c\nd\re\tf\u0001g\u001fh\#u{7f}王😀/""#)
        #expect(JSONWriter.string(.object([("k", .array([.int(-3), .double(2), .double(0.5), .bool(false), .null]))]))
                == #"{"k":[-3,2.0,0.5,false,null]}"#)
    }

    /// The word-at-a-time scan must agree with the byte-by-byte rule for every byte value
    /// at every place of a word, and beside bytes that borrow (0x00, 0x80, 0xFF).
    @Test("the eight-bytes-at-a-time escape scan finds exactly what the byte rule finds")
    func escapeScanIsTheByteRule() {
        let byteRule: (UInt8) -> Bool = { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
        for length in 0...24 {
            for place in 0..<max(length, 1) {
                for byte in 0...255 {
                    for filler: UInt8 in [0x41, 0xE7, 0xFF, 0x80, 0x21, 0x5D] {
                        var bytes = [UInt8](repeating: filler, count: length)
                        if length > 0 { bytes[place] = UInt8(byte) }
                        let expected = bytes.contains(where: byteRule)
                        let found = bytes.withUnsafeBufferPointer { JSONWriter.anyNeedsEscape($0) }
                        if found != expected {
                            Issue.record("\(bytes): scan says \(found), the rule \(expected)")
                            return
                        }
                    }
                }
            }
        }
    }

    @Test("whatever JSONWriter writes reads back as the same value")
    func writerRoundTrips() throws {
        var random = SystemRandomNumberGenerator()
        let pieces = ["王", "秀水路", "\"", "\\", "\n", "\r", "\u{1}", "\u{1f}", "a", "1", " ", "\t", "😀", "/"]
        for _ in 0..<2_000 {
            let value = JSONValue.array((0..<Int.random(in: 0...17, using: &random)).map { _ in
                switch Int.random(in: 0...4, using: &random) {
                case 0: return .null
                case 1: return .int(Int64.random(in: Int64.min...Int64.max, using: &random))
                case 2: return .bool(Bool.random(using: &random))
                default: return .string((0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
                }
            })
            #expect(try JSONParser.parse(JSONWriter.bytes(value)) == value)
        }
    }

    @Test("integers are written as Swift writes them, the edges included")
    func integersAsSwiftWritesThem() {
        var random = SystemRandomNumberGenerator()
        var values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, 1_000_000, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        values += (0..<2_000).map { _ in Int64.random(in: Int64.min...Int64.max, using: &random) >> Int64.random(in: 0...63, using: &random) }
        for value in values {
            #expect(JSONWriter.bytes(.int(value)) == Array(String(value).utf8), "\(value)")
        }
        // A whole double is written with ".0", through the same digits.
        #expect(JSONWriter.string(.double(-42)) == "-42.0")
        #expect(JSONWriter.string(.array([.int(7), .string("秀水"), .int(-3)])) == "[7,\"秀水\",-3]")
    }

    /// The values were computed independently (Python's hmac and hashlib: HKDF-SHA256 of the
    /// master key, salt "registry", info "registry chain key v1"; HMAC-SHA256 of the text).
    @Test("keyed links and the key check under a fixed key")
    func keyedLinks() {
        let first = HashChain.link(previous: HashChain.genesis, values: Self.unitAdded, key: Self.key)
        let second = HashChain.link(previous: first, values: Self.moveIn, key: Self.key)
        #expect(first == "5875c357339efd7b04c9e3ef8c54d71a2b2117c5f9f53c9f188eb3d2078ec006")
        #expect(second == "0883eae0c1e526dc3e2dc4290cfed2724ccb19f40e6b097cafdc22025b489808")
        #expect(Self.key.checkValue == "8cf5d81e46b5b5f0c5c9e3f6ed01175d")
        // Keyed: the plain SHA-256 of the same text (what an attacker without the key can
        // compute) is not the link.
        let plain = HashChain.link(previous: HashChain.genesis, values: Self.unitAdded, key: nil)
        #expect(plain != first)
        #expect(plain == "b77050ea96eba6964b5efbff743f869b41fa355c14d996a64ffbe02c37e45e9e")
    }
}
