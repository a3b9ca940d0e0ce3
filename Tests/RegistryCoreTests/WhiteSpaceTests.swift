import Foundation
import Testing
@testable import RegistryCore

@Suite("White space trimmed without Foundation")
struct WhiteSpaceTests {
    @Test("every Unicode scalar is white space exactly when Foundation's whitespacesAndNewlines holds it")
    func sameSetAsFoundation() {
        let foundation = CharacterSet.whitespacesAndNewlines
        var differing: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if WhiteSpace.contains(scalar) != foundation.contains(scalar) { differing.append(value) }
        }
        #expect(differing.isEmpty, "\(differing.map { String($0, radix: 16) })")
    }

    @Test("trimming gives Foundation's answer on chosen and random text, with and without byte-order marks")
    func sameTrimmingAsFoundation() {
        let withMark = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}"))
        var values = ["", " ", "\u{3000}", "王芳", " 王芳 ", "\u{3000}王芳\u{3000}", "\u{FEFF}王芳", "王芳\u{FEFF}", "a b",
                      " \u{301}a", "a\u{301} ", "\r\n", "王\r\n", "\u{85}x\u{2028}", "\u{A0}\u{202F}\u{205F}", "😀 ", " 😀",
                      "\u{200B}x\u{200B}", "\u{180E}x", "x\u{1680}"]
        let alphabet: [String] = [" ", "\t", "\n", "\r", "\u{3000}", "\u{FEFF}", "\u{A0}", "\u{2009}", "\u{85}", "\u{2028}", "\u{200B}",
                                  "王", "芳", "a", "1", "-", "\u{301}", "😀", "\u{1F1E8}\u{1F1F3}"]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            values.append((0..<Int.random(in: 0...8, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined())
        }
        for value in values {
            #expect(WhiteSpace.trimmed(value) == value.trimmingCharacters(in: .whitespacesAndNewlines), "\(value.debugDescription)")
            #expect(WhiteSpace.trimmed(value, orByteOrderMark: true) == value.trimmingCharacters(in: withMark), "\(value.debugDescription)")
            #expect(CellText.trimmed(value) == value.trimmingCharacters(in: withMark), "\(value.debugDescription)")
        }
    }
}
