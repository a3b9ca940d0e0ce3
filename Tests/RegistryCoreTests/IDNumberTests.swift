import Testing
@testable import RegistryCore

@Suite("ID numbers (GB 11643-1999)")
struct IDNumberTests {
    let today = CivilDate(year: 2026, month: 11, day: 29)!

    @Test("the standard's example 11010519491231002X is accepted, with sex and birth date read from it")
    func standardExample() throws {
        let a = try IDNumber("11010519491231002X", today: today)
        #expect(a.value == "11010519491231002X")
        #expect(a.birthDate == CivilDate(year: 1949, month: 12, day: 31))
        #expect(a.sex == .female)
        #expect(a.divisionCode == "110105")
    }

    @Test("440524188001010014: its check character is right, but 1880 is before the contract's 1900-01-01")
    func standardExampleBefore1900() {
        #expect(IDNumber.checkCharacter(for: "44052418800101001") == "4")
        do {
            _ = try IDNumber("440524188001010014", today: today)
            Issue.record("accepted a birth date before 1900")
        } catch {
            #expect(error.reason.rawValue == "invalid_id_number")
            #expect(error.message.contains("before 1900-01-01"))
        }
    }

    @Test("the bad example 110105194912310021 is refused for its check character")
    func badCheckCharacter() {
        do {
            _ = try IDNumber("110105194912310021", today: today)
            Issue.record("accepted a wrong check character")
        } catch {
            #expect(error.reason.rawValue == "invalid_id_number")
            #expect(error.message.contains("check character"))
        }
    }

    @Test("of the eleven possible check characters only the right one is accepted")
    func everyWrongCheckCharacter() throws {
        for body in ["11010519491231002", "41152519900101001", "34152220000229123", "83000019850615432"] {
            let expected = IDNumber.checkCharacter(for: body)
            for candidate in "0123456789X" {
                let text = body + String(candidate)
                if candidate == expected {
                    #expect(try IDNumber(text, today: today).value == text)
                } else {
                    #expect(throws: RegistryError.self, "\(text)") { try IDNumber(text, today: today) }
                }
            }
        }
    }

    @Test("a lower-case x is accepted and stored as X")
    func lowerCaseX() throws {
        #expect(try IDNumber("11010519491231002x", today: today).value == "11010519491231002X")
    }

    @Test("a 15-digit legacy number becomes its 18-digit form")
    func legacy15() throws {
        let id = try IDNumber("610104620927690", today: today)
        #expect(id.value == "610104196209276908")
        #expect(id.birthDate == CivilDate(year: 1962, month: 9, day: 27))
        #expect(id.sex == .female)
    }

    @Test("impossible and out-of-range birth dates are refused", arguments: [
        "19490230", "19490431", "20230229", "19491301", "19490000", "18991231", "20261130", "20270101",
    ])
    func impossibleDates(birth: String) {
        let text = makeID(prefix: "110105", birth: birth, sequence: 2)
        #expect(throws: RegistryError.self) { try IDNumber(text, today: today) }
    }

    @Test("birth dates on the limits are accepted", arguments: ["19000101", "20240229", "20261129"])
    func limitDates(birth: String) throws {
        #expect(try IDNumber(makeID(prefix: "110105", birth: birth, sequence: 2), today: today).value.count == 18)
    }

    @Test("every listed province code is accepted and no other")
    func provinceCodes() {
        for code in 0...99 {
            let prefix = String(format: "%02d", code) + "0105"
            let text = makeID(prefix: prefix, birth: "19800101", sequence: 5)
            let accepted = (try? IDNumber(text, today: today)) != nil
            #expect(accepted == IDNumber.provinceCodes.contains(String(format: "%02d", code)), "province \(code)")
        }
        #expect(IDNumber.provinceCodes.count == 5 + 3 + 7 + 6 + 5 + 5 + 4)
    }

    @Test("wrong lengths and characters are refused with the rule named", arguments: [
        ("", "18 characters"), ("1101051949123100", "18 characters"), ("11010519491231002XX", "18 characters"),
        ("1101051949123100AX", "17 digits"), ("11010519491231002Y", "check character"), ("61010462092769X", "15"),
        ("１１０１０５１９４９１２３１００２Ｘ", "0-9 and X only"),
    ])
    func malformed(text: String, rule: String) {
        do {
            _ = try IDNumber(text, today: today)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.reason.rawValue == "invalid_id_number")
            #expect(error.message.contains(rule), "\(error.message)")
        }
    }

    @Test("masking keeps the first 6 and last 4 characters")
    func masking() throws {
        #expect(try IDNumber("11010519491231002X", today: today).masked == "110105********002X")
        #expect(IDNumber.mask("411525199001010012") == "411525********0012")
        // Not 18 ASCII characters (a stored value of an old file, say): the character rule.
        #expect(IDNumber.mask("41152519900101001") == String(repeating: "*", count: 17))
        #expect(IDNumber.mask("４11525199001010012") == "４11525********0012")
        #expect(IDNumber.mask("") == "")
    }
}
