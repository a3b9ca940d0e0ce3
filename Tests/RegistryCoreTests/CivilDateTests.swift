import Testing
@testable import RegistryCore

@Suite("Calendar dates")
struct CivilDateTests {
    @Test("only YYYY-MM-DD of a real day parses", arguments: [
        ("2025-06-30", true), ("2024-02-29", true), ("2025-02-29", false), ("2025-04-31", false), ("2025-13-01", false),
        ("2025-6-30", false), ("2025-06-30T00:00", false), (" 2025-06-30", false), ("20250630", false), ("", false),
    ])
    func parsing(text: String, valid: Bool) {
        #expect((CivilDate(text) != nil) == valid)
        if valid { #expect(CivilDate(text)?.description == text) }
    }

    @Test("adding months keeps the day, or takes the month's last day")
    func addingMonths() {
        let jan31 = CivilDate("2025-01-31")!
        #expect(jan31.adding(months: 1).description == "2025-02-28")
        #expect(jan31.adding(months: 2).description == "2025-03-31")
        #expect(CivilDate("2024-01-31")!.adding(months: 1).description == "2024-02-29")
        #expect(CivilDate("2025-11-15")!.adding(months: 3).description == "2026-02-15")
        #expect(CivilDate("2024-02-29")!.adding(years: -15).description == "2009-02-28")
    }

    @Test("day numbers round-trip and count days")
    func dayNumbers() {
        #expect(CivilDate("1970-01-01")!.dayNumber == 0)
        #expect(CivilDate("2025-03-01")!.dayNumber - CivilDate("2025-02-28")!.dayNumber == 1)
        for n in stride(from: -30000, to: 30000, by: 997) {
            #expect(CivilDate(dayNumber: n).dayNumber == n)
        }
    }

    @Test("a person turns a year older on their birthday, or on 1 March for 29 February")
    func ages() {
        let born = CivilDate("2000-06-15")!
        #expect(born.age(on: CivilDate("2015-06-14")!) == 14)
        #expect(born.age(on: CivilDate("2015-06-15")!) == 15)
        let leapling = CivilDate("2008-02-29")!
        #expect(leapling.age(on: CivilDate("2023-02-28")!) == 14)
        #expect(leapling.age(on: CivilDate("2023-03-01")!) == 15)
        #expect(leapling.age(on: CivilDate("2024-02-28")!) == 15)
        #expect(leapling.age(on: CivilDate("2024-02-29")!) == 16)
    }
}
