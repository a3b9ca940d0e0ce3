import Foundation
import GRDB
import Testing
import ZIPFoundation
@testable import RegistryCore

/// xlsx both ways: exports a liaison opens in Excel, WPS or LibreOffice, and imports of what
/// clerks' spreadsheets save.
@Suite("Spreadsheets: xlsx export and import, dry runs")
struct SpreadsheetTests {
    /// A registry with Xiushui's areas, two units and three people, one of whom moved.
    private func populated() throws -> TestRegistry {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.addUnit("U2", grid: "411525003001002")
        try t.moveIn(makeID(prefix: "341522", sequence: 1), "U1", on: "2025-03-01", name: "王小明")
        try t.moveIn(makeID(prefix: "341522", birth: "19880808", sequence: 2), "U1", on: "2025-03-02", name: "赵六", extra: #","phone":"13800005852""#)
        try t.moveIn(makeID(prefix: "411525", sequence: 3), "U2", on: "2025-03-03", name: "李四")
        try t.ok("resident.moveOut", #"{"idNumber":"\#(makeID(prefix: "341522", sequence: 1))","date":"2025-04-01"}"#)
        return t
    }

    /// The xlsx bytes of an export, written to a file in the registry's folder.
    private func exported(_ t: TestRegistry, reveal: Bool, roster: Bool = false) throws -> String {
        let file = MemoryDestination()
        let export = try Export(format: .xlsx, reveal: reveal, purpose: reveal ? "派出所核对" : nil)
        if roster {
            _ = try export.roster(t.registry, asOf: CivilDate("2025-03-15")!, area: nil, migrantOnly: false, to: OutputSink(file), operator: "liaison")
        } else {
            _ = try export.ledger(t.registry, area: nil, from: nil, to: nil, after: nil, to: OutputSink(file), operator: "liaison")
        }
        #expect(file.finished)
        let path = t.folder + "/export-\(UUID().uuidString).xlsx"
        try Data(file.bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every row of the first sheet, as ``SheetReader`` reads it.
    private func rows(_ path: String) throws -> [ImportRecord] {
        let reader = try SheetReader(path: path)
        defer { reader.close() }
        var rows: [ImportRecord] = []
        while let row = try reader.next() { rows.append(row) }
        return rows
    }

    /// The XML of a part of the workbook.
    private func part(_ path: String, _ name: String) throws -> String {
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        var data = Data()
        _ = try archive.extract(archive[name]!) { data.append($0) }
        return String(decoding: data, as: UTF8.self)
    }

    @Test("a ledger export as xlsx: Chinese titles and values, ID numbers and codes as text cells, dates as date cells, masked unless revealed")
    func ledgerExport() throws {
        let t = try populated()
        let masked = try rows(try exported(t, reveal: false))
        #expect(masked[0].fields == ["序号", "事件", "日期", "身份证号", "姓名", "性别", "出生日期", "户籍地代码", "流动人口",
                                     "房屋编号", "地址", "网格", "社区", "街道", "经办人", "录入时间"])
        let csvCount = try t.registry.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM ledger_event") }!
        #expect(masked.count == csvCount + 1)
        let firstMoveIn = try #require(masked.first { $0.fields[1] == "迁入" })
        #expect(firstMoveIn.fields[3] == "341522********0014" || firstMoveIn.fields[3].contains("********"))
        #expect(firstMoveIn.fields[6] == "1990-**-**" && firstMoveIn.fields[5] == "男" && firstMoveIn.fields[8] == "是")
        #expect(firstMoveIn.fields[2] == "2025-03-01")
        #expect(masked.contains { $0.fields[1] == "新增房屋" } && masked.contains { $0.fields[1] == "迁出" })
        // No cell of any column was stored as a plain number: ids, codes and seq are text, dates date cells.
        #expect(masked.allSatisfy { $0.numbers == 0 })

        let path = try exported(t, reveal: true)
        let revealed = try rows(path)
        let person = try #require(revealed.first { $0.fields[1] == "迁入" })
        #expect(person.fields[3] == makeID(prefix: "341522", sequence: 1) && person.fields[6] == "1990-01-01")
        let sheet = try part(path, "xl/worksheets/sheet1.xml")
        #expect(sheet.contains("<c r=\"D\(person.line)\" s=\"2\" t=\"inlineStr\"><is><t>\(makeID(prefix: "341522", sequence: 1))</t></is></c>"))
        #expect(sheet.contains("<c r=\"C\(person.line)\" s=\"3\"><v>\(CivilDate("2025-03-01")!.spreadsheetSerial)</v></c>"))
        #expect(sheet.contains("state=\"frozen\"") && sheet.contains("ySplit=\"1\""))
        #expect(try part(path, "xl/styles.xml").contains("formatCode=\"yyyy-mm-dd\""))
        // Audited as any export: the reveal's entry with its purpose and count.
        let audit = try t.ok("audit.list", #"{"limit":10}"#)["entries"]!.arrayValue!
        #expect(audit.contains { $0["purpose"] == .string("派出所核对") && $0["count"] == .int(Int64(csvCount)) })
    }

    @Test("a roster as xlsx has the roster's columns, 入住日期 a date cell")
    func rosterExport() throws {
        let t = try populated()
        let roster = try rows(try exported(t, reveal: true, roster: true))
        #expect(roster[0].fields.last == "入住日期" && roster[0].fields.first == "身份证号")
        #expect(roster.count == 4)
        #expect(Set(roster.dropFirst().map { $0.fields.last! }) == ["2025-03-01", "2025-03-02", "2025-03-03"])
    }

    @Test("past the rows a sheet holds, the rows go on on further sheets, each with its title row")
    func furtherSheets() throws {
        let file = MemoryDestination()
        let sink = OutputSink(file)
        let book = try SpreadsheetWriter(sheetName: "台账", columns: [SpreadsheetColumn("seq"), SpreadsheetColumn("date", .date)],
                                         rowsPerSheet: 3, into: sink)
        for n in 1...7 {
            book.text(0, "\(n)")
            book.date(1, CivilDate("2025-01-0\(n)")!)
            try book.endRow()
        }
        try book.finish()
        try sink.finish()
        let t = try TestRegistry()
        let path = t.folder + "/split.xlsx"
        try Data(file.bytes).write(to: URL(fileURLWithPath: path))
        let workbook = try part(path, "xl/workbook.xml")
        #expect(workbook.contains("name=\"台账\"") && workbook.contains("name=\"台账 2\"") && workbook.contains("name=\"台账 3\""))
        #expect(try rows(path).map(\.fields) == [["序号", "日期"], ["1", "2025-01-01"], ["2", "2025-01-02"], ["3", "2025-01-03"]])
        let third = try part(path, "xl/worksheets/sheet3.xml")
        #expect(third.contains("<t>序号</t>") && third.contains("<t>7</t>") && !third.contains("<t>6</t>"))
    }

    @Test("an Excel workbook imports: shared strings, rich text, date serials, Chinese titles; numbers where text must be are refused by line and column")
    func excelImport() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        let header: [WorkbookFixture.Cell] = ["身份证号", "姓名", "电话", "户籍地代码", "房屋编号", "入住日期", "迁出日期"].map { .text($0) }
        let good = makeID(prefix: "341522", sequence: 7)
        let path = t.folder + "/residents.xlsx"
        try WorkbookFixture().write([
            header,
            [.text(good), .text("王小明"), .text("13800005852"), .blank, .text("U1"), .date(WorkbookFixture.serial("2025-04-01")), .blank],
            [.number("3.41522199304050E+17"), .text("李四"), .blank, .blank, .text("U1"), .date(WorkbookFixture.serial("2025-04-02")), .blank],
            [.text(makeID(prefix: "341522", sequence: 8)), .text("赵五"), .number("13800005853"), .blank, .text("U1"), .text("2025/4/3"), .blank],
            [.text(makeID(prefix: "341522", sequence: 9)), .text("钱六"), .blank, .number("341522"), .text("U1"), .text("2025年4月4日"), .blank],
            [.text(makeID(prefix: "341522", sequence: 10)), .text("孙七"), .blank, .blank, .text("U1"), .date(WorkbookFixture.serial("2025-04-05") + 0.5), .blank],
        ], to: path)
        let before = try t.snapshot()
        do {
            _ = try CSVImport(kind: .residents).run(t.registry, path: path, operator: "clerk")
            Issue.record("a number in an ID-number column was imported")
        } catch let refusal as CSVImport.Refusal {
            #expect(refusal.badRows.map(\.line) == [3, 4, 5, 6])
            #expect(refusal.badRows.map(\.column) == ["身份证号", "电话", "户籍地代码", "入住日期"])
            #expect(refusal.badRows.prefix(3).allSatisfy { $0.reason == .storedAsNumber && $0.message.contains("format the column as text") })
            #expect(refusal.badRows[0].message.contains("'3.41522199304050E+17'"))
            #expect(!refusal.badRows[1].message.contains("13800005853"), "a phone is not echoed")
            #expect(refusal.badRows[3].message.contains("12:00:00"))
        }
        #expect(try t.snapshot() == before)

        try WorkbookFixture().write([header, [.text(good), .text("王小明"), .text(" 13800005852"), .blank, .text("Ｕ1"),
                                              .date(WorkbookFixture.serial("2025-04-01")), .blank]], to: path)
        #expect(try CSVImport(kind: .residents).run(t.registry, path: path, operator: "clerk").rows == 1)
        let person = try t.ok("resident.get", #"{"idNumber":"\#(good)","reveal":true,"purpose":"核对"}"#)
        #expect(person["name"] == .string("王小明") && person["phone"] == .string("13800005852"))
        #expect(person["residences"]!.arrayValue![0]["movedIn"] == .string("2025-04-01"))
    }

    @Test("another writer's workbook imports: inline strings, prefixed elements, an absolute part path, a custom date format, the 1904 system")
    func otherWriterImport() throws {
        let t = try TestRegistry()
        try t.addAreas()
        let path = t.folder + "/units.xlsx"
        var fixture = WorkbookFixture(writer: .other, date1904: true)
        fixture.date1904 = true
        // Styled empty cells after the last column, in the header and in a row, as spreadsheets keep them.
        try fixture.write([
            ["unit_id", "grid", "address", "kind", "landlord_name", "landlord_id_number", "landlord_phone", "discovered_on", "registered_on", ""].map { .text($0) },
            [.text("411525003001001-0100"), .text("411525003001001"), .text("秀水路 <8> 号 & 院"), .text("rental"), .blank, .blank, .blank,
             .date(WorkbookFixture.serial("2025-02-28", date1904: true)), .blank, .text(""), .text("")],
            [.blank, .blank, .blank, .blank, .blank, .blank, .blank, .blank, .blank],
        ], to: path)
        #expect(try CSVImport(kind: .units).run(t.registry, path: path, operator: "clerk").rows == 1)
        let unit = try t.ok("unit.get", #"{"unitId":"411525003001001-0100"}"#)
        #expect(unit["address"] == .string("秀水路 <8> 号 & 院") && unit["discoveredOn"] == .string("2025-02-28"))
        // A grid code stored as a number is refused like an ID number.
        try fixture.write([
            ["unit_id", "grid", "address", "kind", "landlord_name", "landlord_id_number", "landlord_phone", "discovered_on", "registered_on"].map { .text($0) },
            [.blank, .number("411525003001001"), .text("秀水路9号"), .text("rental"), .blank, .blank, .blank, .text("2025-02-28"), .blank],
        ], to: path)
        do {
            _ = try CSVImport(kind: .units).run(t.registry, path: path, operator: "clerk")
            Issue.record("a grid stored as a number was imported")
        } catch let refusal as CSVImport.Refusal {
            #expect(refusal.badRows.map(\.column) == ["grid"] && refusal.badRows[0].reason == .storedAsNumber)
        }
    }

    @Test("a CSV file may use the Chinese titles too")
    func chineseCSVHeader() throws {
        let t = try TestRegistry()
        let path = t.folder + "/areas.csv"
        try "\u{FEFF}代码,名称,层级,上级代码\r\n411525003,秀水街道,subdistrict,411525\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try CSVImport(kind: .areas).run(t.registry, path: path, operator: "clerk").rows == 1)
        try "代码,姓名,层级,上级\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: RegistryError.self) { try CSVImport(kind: .areas).run(t.registry, path: path, operator: "clerk") }
    }

    @Test("a dry run checks every row against the database, reports each bad one, and writes nothing")
    func dryRun() throws {
        let t = try TestRegistry()
        try t.addAreas()
        try t.addUnit("U1")
        try t.moveIn(makeID(sequence: 1), "U1", on: "2025-01-01")
        let path = t.folder + "/residents.csv"
        let lines = [
            "id_number,name,phone,hukou_code,unit_id,moved_in,moved_out",
            "\(makeID(sequence: 2)),甲,,,U1,2025-02-01,",
            "\(makeID(sequence: 3)),乙,,,NOPE,2025-02-01,",
            "\(makeID(sequence: 1)),张三,,,U1,2025-01-01,",
            "\(makeID(sequence: 4)),?,,,U1,2025-02-01,",
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let before = try t.snapshot()
        do {
            _ = try CSVImport(kind: .residents, dryRun: true).run(t.registry, path: path, operator: "clerk")
            Issue.record("bad rows passed a dry run")
        } catch let refusal as CSVImport.Refusal {
            #expect(refusal.badRows.map(\.line) == [3, 4, 5])
            #expect(refusal.badRows.map(\.reason) == [.unknownUnit, .duplicateResidence, .invalidParams])
        }
        #expect(try t.snapshot() == before)
        try (lines[0...1].joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let summary = try CSVImport(kind: .residents, dryRun: true).run(t.registry, path: path, operator: "clerk")
        #expect(summary.rows == 1 && summary.dryRun)
        #expect(try t.snapshot() == before)
    }

    @Test("an .xls or a file that is not a workbook is refused with the way out")
    func notAWorkbook() throws {
        let t = try TestRegistry()
        let xls = t.folder + "/old.xls"
        try Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).write(to: URL(fileURLWithPath: xls))
        do {
            _ = try CSVImport(kind: .areas).run(t.registry, path: xls, operator: "clerk")
            Issue.record("an xls was read")
        } catch let error as RegistryError {
            #expect(error.reason == .invalidXlsx && error.message.contains("save it as xlsx"))
        }
        let broken = t.folder + "/broken.xlsx"
        try Data([0x50, 0x4B, 0x03, 0x04, 1, 2, 3]).write(to: URL(fileURLWithPath: broken))
        do {
            _ = try CSVImport(kind: .areas).run(t.registry, path: broken, operator: "clerk")
            Issue.record("a broken workbook was read")
        } catch let error as RegistryError {
            #expect(error.reason == .invalidXlsx)
        }
    }

    @Test("the zip stream: entries of many blocks read back byte for byte, CRC-checked, by an independent reader")
    func zipStream() throws {
        let t = try TestRegistry()
        var generator = SplitMix64(seed: 7)
        let noisy = (0..<3_000_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let repetitive = Array(String(repeating: "<row><c t=\"inlineStr\"><is><t>秀水街道</t></is></c></row>", count: 50_000).utf8)
        let file = MemoryDestination()
        let sink = OutputSink(file)
        let zip = ZipStream(into: sink)
        for (name, bytes) in [("a/noisy.bin", noisy), ("b/重复.xml", repetitive), ("empty", [])] {
            try zip.begin(name)
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + 100_003)
                try bytes[offset..<end].withUnsafeBufferPointer { try zip.write($0) }
                offset = end
            }
            try zip.end()
        }
        try zip.finish()
        try sink.finish()
        let path = t.folder + "/stream.zip"
        try Data(file.bytes).write(to: URL(fileURLWithPath: path))
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        for (name, bytes) in [("a/noisy.bin", noisy), ("b/重复.xml", repetitive), ("empty", [])] {
            var data = Data()
            _ = try archive.extract(try #require(archive[name]), skipCRC32: false) { data.append($0) }
            #expect(Array(data) == bytes, "\(name)")
        }
        #expect(file.bytes.count < repetitive.count / 20 + noisy.count + 10_000, "the repetitive entry is compressed")
    }

    @Test("text cells escape XML, keep leading spaces, and replace characters XML cannot hold")
    func escaping() throws {
        let file = MemoryDestination()
        let sink = OutputSink(file)
        let book = try SpreadsheetWriter(sheetName: "变动", columns: [SpreadsheetColumn("address"), SpreadsheetColumn("name")], into: sink)
        book.text(0, "秀水路 <8> 号 & \"院\"")
        book.text(1, "  两个空格")
        try book.endRow()
        book.text(0, "bell\u{07}here")
        book.text(1, "=HYPERLINK(\"http://x\",\"点我\")")
        try book.endRow()
        try book.finish()
        try sink.finish()
        let t = try TestRegistry()
        let path = t.folder + "/escaped.xlsx"
        try Data(file.bytes).write(to: URL(fileURLWithPath: path))
        #expect(try rows(path).map(\.fields) == [["地址", "姓名"], ["秀水路 <8> 号 & \"院\"", "  两个空格"],
                                                 ["bell\u{FFFD}here", "=HYPERLINK(\"http://x\",\"点我\")"]])
        // A formula-looking text is a string cell: the sheet holds no formula at all.
        #expect(!(try part(path, "xl/worksheets/sheet1.xml")).contains("<f>"))
    }

    /// An areas workbook whose sheet declares `doctype` and names the subdistrict `name`.
    private func hostileWorkbook(_ t: TestRegistry, doctype: String, name: String) throws -> String {
        let path = t.folder + "/areas-\(UUID().uuidString).xlsx"
        try WorkbookFixture(writer: .other).write([
            ["code", "name", "level", "parent"].map { .text($0) },
            [.text("411525003"), .text("__NAME__"), .text("subdistrict"), .text("411525")],
        ], to: path)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .update)
        var sheet = Data()
        _ = try archive.extract(archive["xl/worksheets/sheet1.xml"]!) { sheet.append($0) }
        let text = String(decoding: sheet, as: UTF8.self)
            .replacingOccurrences(of: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>", with: "<?xml version=\"1.0\"?>" + doctype)
            .replacingOccurrences(of: "__NAME__", with: name)
        try archive.remove(archive["xl/worksheets/sheet1.xml"]!)
        let data = Data(text.utf8)
        try archive.addEntry(with: "xl/worksheets/sheet1.xml", type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
        return path
    }

    @Test("a workbook part with a DOCTYPE (an external entity here) is refused: nothing of it, nor of the file it names, is stored")
    func externalEntity() throws {
        let t = try TestRegistry()
        let secret = t.folder + "/secret.txt"
        try "TOP-SECRET-411525".write(toFile: secret, atomically: true, encoding: .utf8)
        let path = try hostileWorkbook(t, doctype: "<!DOCTYPE x [<!ENTITY e SYSTEM \"file://\(secret)\">]>", name: "秀水&e;街道")
        do {
            _ = try CSVImport(kind: .areas).run(t.registry, path: path, operator: "clerk")
            Issue.record("a workbook with a DOCTYPE was imported")
        } catch let error as RegistryError {
            #expect(error.reason == .invalidXlsx && error.message.contains("DOCTYPE"))
        }
        // (Without the refusal, Foundation's parser dropped the entity and the text after it: 秀水.)
        let stored = try t.registry.read { try String.fetchAll($0, sql: "SELECT name FROM area") }
        #expect(stored == ["固始县"], "\(stored)")
    }

    @Test("a hostile workbook's nested entities (billion laughs) are refused, not expanded")
    func nestedEntities() throws {
        let t = try TestRegistry()
        var doctype = "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\">"
        for (name, inner) in zip(["b", "c", "d", "e", "f", "g"], ["a", "b", "c", "d", "e", "f"]) {
            doctype += "<!ENTITY \(name) \"" + String(repeating: "&\(inner);", count: 10) + "\">"
        }
        doctype += "]>"
        let path = try hostileWorkbook(t, doctype: doctype, name: "&g;")
        do {
            _ = try CSVImport(kind: .areas).run(t.registry, path: path, operator: "clerk")
            Issue.record("ten million characters of entities were imported")
        } catch let error as RegistryError {
            #expect(error.reason == .invalidXlsx)
        }
    }

    @Test("date serials: the 1900 and 1904 systems, times kept for the date rule to judge")
    func serials() {
        #expect(WorkbookFixture.serial("2025-04-01") == 45_748)
        #expect(CivilDate("2025-04-01")!.spreadsheetSerial == 45_748)
    }
}
