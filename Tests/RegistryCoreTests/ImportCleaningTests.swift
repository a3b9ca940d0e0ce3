import Foundation
import Testing
@testable import RegistryCore

/// What clerks' spreadsheets put in cells, read as meant or refused with a clear message.
@Suite("Import cells as spreadsheets write them")
struct ImportCleaningTests {
    @Test("date forms of Chinese spreadsheets, midnight times, full-width digits; ambiguous orders refused")
    func dates() throws {
        for text in ["2025-04-01", "2025/4/1", "2025.4.1", "2025年4月1日", "2025-04-01 0:00", "2025/4/1 00:00:00", "２０２５－０４－０１", " 2025-04-01\u{3000}"] {
            #expect(try CellText.date(text, field: "movedIn") == CivilDate("2025-04-01"), "\(text)")
        }
        for text in ["04/01/2025", "2025/13/1", "2025-02-30", "25/4/1", "2025-04-01 12:30", "昨天"] {
            #expect(throws: RegistryError.self, "\(text)") { try CellText.date(text, field: "movedIn") }
        }
        do {
            _ = try CellText.date("04/01/2025", field: "movedIn")
        } catch {
            #expect(error.message.contains("'04/01/2025'") && error.message.contains("ambiguous"))
            #expect(error.field == "movedIn" && error.reason == .invalidDate)
        }
    }

    @Test("ID numbers: full-width and padded read; scientific notation refused with what happened and what to do")
    func idNumbers() throws {
        #expect(try CellText.idNumber("３４１５２２１９９００１０１００１２ ", field: "idNumber") == "341522199001010012")
        for text in ["3.41522E+17", "3.41522199001010E+17", "341522199001010000.0"] {
            do {
                _ = try CellText.idNumber(text, field: "idNumber")
                Issue.record("\(text) accepted")
            } catch {
                #expect(error.message.contains("stored the ID number as a number") && error.message.contains("format the column as text"))
            }
        }
    }

    @Test("lost characters in names and addresses are refused; phones checked as mobiles or landlines")
    func wordsAndPhones() throws {
        for text in ["???", "?祥", "王\u{FFFD}明"] {
            #expect(throws: RegistryError.self) { try CellText.words(text, field: "name") }
        }
        #expect(try CellText.words("  王小明　", field: "name") == "王小明")
        for phone in ["13800005852", "0376-12345678", "037612345678", "010-1234567", "１３８００００５８５２"] {
            #expect(throws: Never.self) { _ = try CellText.phone(phone, field: "phone") }
        }
        for phone in ["37612345679", "1380000585", "138-0000-5852", "+8613800005852", "0371-99"] {
            do {
                _ = try CellText.phone(phone, field: "phone")
                Issue.record("\(phone) accepted")
            } catch {
                #expect(!error.message.contains(phone), "the phone is not echoed")
            }
        }
    }

    @Test("a residents file as a spreadsheet saved it imports; a rounded ID number is refused naming the line and column")
    func file() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let path = t.folder + "/residents.csv"
        try "id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\n341522199001010012 ,王小明　,１３８００００５８５２,,Ｕ1,2025/4/1,\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try CSVImport(kind: .residents).run(t.registry, path: path, operator: "x").rows == 1)
        let person = try t.ok("resident.get", #"{"idNumber":"341522199001010012","reveal":true,"purpose":"核对"}"#)
        #expect(person["name"] == .string("王小明") && person["phone"] == .string("13800005852"))
        #expect(person["residences"]!.arrayValue![0]["movedIn"] == .string("2025-04-01"))
        let bad = t.folder + "/bad.csv"
        try "id_number,name,phone,hukou_code,unit_id,moved_in,moved_out\n3.41522E+17,李,,,U1,2025-04-01,\n"
            .write(toFile: bad, atomically: true, encoding: .utf8)
        do {
            _ = try CSVImport(kind: .residents).run(t.registry, path: bad, operator: "x")
            Issue.record("a rounded ID number was imported")
        } catch let refusal as CSVImport.Refusal {
            #expect(refusal.badRows.map(\.line) == [2])
            #expect(refusal.badRows.first?.column == "id_number")
        }
    }
}
