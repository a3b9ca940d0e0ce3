import Foundation
import ZIPFoundation

/// xlsx files written the way spreadsheet programs write them, part by part, for the
/// import's tests: Excel's way (shared strings, built-in date format 14, a text style 49,
/// numbers as `<v>` with no type) or another writer's (inline strings, a namespace prefix on
/// every element, rich-text runs with phonetic guides, an absolute part path, a custom date
/// format, optionally the 1904 date system).
struct WorkbookFixture {
    enum Cell {
        /// A text cell (a shared string in Excel's way, an inline string in the other).
        case text(String)
        /// A number cell, `<v>` as written (`3.41522199304050E+17`, `13800005852`).
        case number(String)
        /// A date cell: a serial day number (with a fraction for a time) in a date style.
        case date(Double)
        case blank
    }

    enum Writer { case excel, other }

    var writer: Writer = .excel
    var date1904 = false

    /// The serial number of `2025-04-01`-style `text` in the 1900 system (1904: 1,462 fewer).
    static func serial(_ text: String, date1904: Bool = false) -> Double {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        var components = DateComponents()
        (components.year, components.month, components.day) = (parts[0], parts[1], parts[2])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let days = calendar.date(from: components)!.timeIntervalSince1970 / 86_400
        return days + 25_569 - (date1904 ? 1_462 : 0)
    }

    func write(_ rows: [[Cell]], to path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        func add(_ name: String, _ text: String) throws {
            let data = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        let p = writer == .excel ? "" : "x:"
        let ns = writer == .excel ? "xmlns=\"\(main)\"" : "xmlns:x=\"\(main)\""
        try add("[Content_Types].xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>
            """)
        try add("_rels/.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="\(relations)/officeDocument" Target="xl/workbook.xml"/></Relationships>
            """)
        try add("xl/workbook.xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <\(p)workbook \(ns) xmlns:r="\(relations)"><\(p)workbookPr\(date1904 ? " date1904=\"1\"" : "")/><\(p)sheets><\(p)sheet name="居民" sheetId="1" r:id="rId7"/><\(p)sheet name="说明" sheetId="2" r:id="rId8"/></\(p)sheets></\(p)workbook>
            """)
        let sheetTarget = writer == .excel ? "worksheets/sheet1.xml" : "/xl/worksheets/sheet1.xml"
        try add("xl/_rels/workbook.xml.rels", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId8" Type="\(relations)/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId7" Type="\(relations)/worksheet" Target="\(sheetTarget)"/><Relationship Id="rId2" Type="\(relations)/styles" Target="styles.xml"/><Relationship Id="rId3" Type="\(relations)/sharedStrings" Target="sharedStrings.xml"/></Relationships>
            """)
        // Styles: 0 general, 1 a date (built-in 14, or custom 164 `yyyy/m/d`), 2 text (49).
        let dateFormat = writer == .excel ? 14 : 164
        try add("xl/styles.xml", """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <\(p)styleSheet \(ns)>\(writer == .excel ? "" : "<\(p)numFmts count=\"1\"><\(p)numFmt numFmtId=\"164\" formatCode=\"yyyy/m/d;@\"/></\(p)numFmts>")<\(p)cellXfs count="3"><\(p)xf numFmtId="0"/><\(p)xf numFmtId="\(dateFormat)" applyNumberFormat="1"/><\(p)xf numFmtId="49" applyNumberFormat="1"/></\(p)cellXfs></\(p)styleSheet>
            """)
        var strings: [String] = []
        var sheet = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<\(p)worksheet \(ns)><\(p)sheetData>"
        for (r, row) in rows.enumerated() {
            // Excel leaves out empty rows and cells; number the rows as a sheet does.
            sheet += "<\(p)row r=\"\(r + 1)\">"
            for (c, cell) in row.enumerated() {
                let reference = String(UnicodeScalar(UInt8(65 + c))) + "\(r + 1)"
                switch cell {
                case let .text(text):
                    if writer == .excel {
                        strings.append(text)
                        sheet += "<\(p)c r=\"\(reference)\" s=\"2\" t=\"s\"><\(p)v>\(strings.count - 1)</\(p)v></\(p)c>"
                    } else {
                        sheet += "<\(p)c r=\"\(reference)\" t=\"inlineStr\"><\(p)is><\(p)t>\(Self.escape(text))</\(p)t></\(p)is></\(p)c>"
                    }
                case let .number(text):
                    sheet += "<\(p)c r=\"\(reference)\"><\(p)v>\(text)</\(p)v></\(p)c>"
                case let .date(serial):
                    sheet += "<\(p)c r=\"\(reference)\" s=\"1\"><\(p)v>\(serial)</\(p)v></\(p)c>"
                case .blank:
                    continue
                }
            }
            sheet += "</\(p)row>"
        }
        sheet += "</\(p)sheetData></\(p)worksheet>"
        try add("xl/worksheets/sheet1.xml", sheet)
        try add("xl/worksheets/sheet2.xml", "<?xml version=\"1.0\"?><worksheet xmlns=\"\(main)\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>not this sheet</t></is></c></row></sheetData></worksheet>")
        // Excel's shared strings; the other writer's hold one rich-text entry with a
        // phonetic guide (unused by the cells) to prove runs are joined and guides skipped.
        var table = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<\(p)sst \(ns) count=\"\(strings.count)\" uniqueCount=\"\(strings.count)\">"
        for text in strings {
            if text.count > 1 && writer == .excel && text.hasPrefix("王") {
                table += "<\(p)si><\(p)r><\(p)t>\(Self.escape(String(text.prefix(1))))</\(p)t></\(p)r><\(p)r><\(p)t xml:space=\"preserve\">\(Self.escape(String(text.dropFirst())))</\(p)t></\(p)r><\(p)rPh sb=\"0\" eb=\"1\"><\(p)t>ワン</\(p)t></\(p)rPh></\(p)si>"
            } else {
                table += "<\(p)si><\(p)t xml:space=\"preserve\">\(Self.escape(text))</\(p)t></\(p)si>"
            }
        }
        table += "</\(p)sst>"
        try add("xl/sharedStrings.xml", table)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
