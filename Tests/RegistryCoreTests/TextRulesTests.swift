import Foundation
import Testing
@testable import RegistryCore

@Suite("Text rules")
struct TextRulesTests {
    /// The phone rule as the docs state it: trimmed of spaces, 3 to 20 characters, only
    /// digits, `+`, `-` and spaces, at least one digit.
    func reference(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard (3...20).contains(trimmed.count),
              trimmed.allSatisfy({ $0.isASCIIDigit || $0 == "+" || $0 == "-" || $0 == " " }),
              trimmed.contains(where: \.isASCIIDigit) else { return nil }
        return trimmed
    }

    @Test("the phone check's fast path gives exactly the rule's answers, on chosen and on random values")
    func phoneFastPath() {
        var values = ["13800005852", " 13800005852 ", "+86 138-0000-5852", "\t13800005852", "13800005852\t", "---", "12", "123",
                      String(repeating: "1", count: 20), String(repeating: "1", count: 21), " " + String(repeating: "1", count: 20),
                      "１３８００００５８５２", "138 0000 5852 ", "", "   ", "1 2", "+-+", "13800005852\u{3000}"]
        var random = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["1", "8", "0", "+", "-", " ", "\t", "a", "１", "\u{3000}"]
        for _ in 0..<5_000 {
            values.append(String((0..<Int.random(in: 0...24, using: &random)).map { _ in alphabet.randomElement(using: &random)! }))
        }
        for value in values {
            let got = try? TextRules.phone(value, field: "phone")
            #expect(got == reference(value), "\(value.debugDescription)")
        }
    }
}
