import Foundation
import GRDB

/// `registry import areas|units|residents FILE.csv`: loads a spreadsheet all or nothing.
///
/// Every row goes through the operation its kind names (`area.add`, `unit.add`,
/// `resident.register` then `resident.moveOut` for a past residence), so it is checked by
/// the same rules and writes the same events. All rows run in one transaction, each in a
/// savepoint; the import goes on past a bad row to report every one (the first 100 in
/// detail), and when any row is bad the whole transaction is rolled back.
///
/// Line numbers count the header as line 1 and each record as one line (a record whose
/// quoted cell holds a line break still counts as one).
public struct CSVImport {
    public enum Kind: String, ContractEnum {
        case areas, units, residents

        /// The columns of the file, exactly as the contract names them.
        public var columns: [String] {
            switch self {
            case .areas: ["code", "name", "level", "parent"]
            case .units: ["unit_id", "grid", "address", "kind", "landlord_name", "landlord_id_number", "landlord_phone",
                          "discovered_on", "registered_on"]
            case .residents: ["id_number", "name", "phone", "hukou_code", "unit_id", "moved_in", "moved_out"]
            }
        }
    }

    /// One refused row.
    public struct BadRow: Sendable, CustomStringConvertible {
        public var line: Int
        public var column: String?
        public var reason: RegistryError.Reason
        public var message: String
        public var description: String {
            "line \(line)\(column.map { ", column \($0)" } ?? ""): \(message) (\(reason.rawValue))"
        }
    }

    /// The refusal of a whole file: the database is unchanged.
    public struct Refusal: Error, Sendable {
        /// The first 100 bad rows, in file order.
        public var badRows: [BadRow]
        /// How many rows were bad in all.
        public var badRowCount: Int
    }

    public struct Summary: Sendable {
        public var rows: Int
        /// The rows were checked and nothing was written (``dryRun``).
        public var dryRun = false
        public var seconds: Double
        /// Whether the rows were loaded by the bulk path (``BulkResidentLoad``) rather than
        /// one operation per row.
        public var bulk = false
        /// Whether the rows were written through SQLite's rollback journal (``RollbackJournal``):
        /// a first load of residents by the bulk path, or of units.
        var rollbackJournal = false
    }

    public static let maxReportedRows = 100

    public var kind: Kind
    public var encoding: TextEncoding?
    /// Whether `residents` files may take the bulk path (``BulkResidentLoad``); tests turn
    /// it off to compare both paths.
    var allowsBulkLoad = true
    /// Checks every row as a real import would (the same operations, against what the
    /// database holds, in file order) and rolls everything back: nothing is written, and
    /// every bad row is reported (a ``Refusal``), or the number of good ones returned.
    public var dryRun = false

    public init(kind: Kind, encoding: TextEncoding? = nil, dryRun: Bool = false) {
        self.kind = kind
        self.encoding = encoding
        self.dryRun = dryRun
    }

    /// Imports the file at `path`.
    /// - Parameter progress: called about every second with the rows done and the seconds elapsed.
    /// - Throws: ``Refusal`` when any row is bad; ``RegistryError`` when the file cannot be read.
    public func run(_ registry: Registry, path: String, operator actor: String,
                    progress: ((Int, Double) -> Void)? = nil) throws -> Summary {
        guard FileManager.default.isReadableFile(atPath: path) else { throw TextEncoding.unreadable(path) }
        let source = path

        let started = Date()
        return try registry.sortingOnDisk {
            if kind == .residents && allowsBulkLoad && !dryRun {
                // The fast path loads new people in bulk; anything it does not handle (a bad
                // row, a person already registered) rolls it back, and the rows run one by one.
                if let loaded = try BulkResidentLoad(importer: self, path: source).run(registry, operator: actor, started: started,
                                                                                      progress: progress) {
                    return Summary(rows: loaded.rows, seconds: Date().timeIntervalSince(started), bulk: true,
                                   rollbackJournal: loaded.rollbackJournal)
                }
            }
            // A county's first units load writes through the rollback journal, as a first
            // residents load does (``RollbackJournal``): at 5.75 million units the WAL grew
            // to 4.3 GB, every page read again searched in its index.
            let journal = try kind == .units && !dryRun && Self.noUnits(registry) ? RollbackJournal.enter(registry.pool) : nil
            defer { journal?.leave() }
            let rows = try rowByRow(registry, path: source, operator: actor, started: started, progress: progress)
            return Summary(rows: rows, dryRun: dryRun, seconds: Date().timeIntervalSince(started), rollbackJournal: journal != nil)
        }
    }

    /// Whether the registry holds no unit yet (``SuspendedRentalCounts/noUnits(_:)``).
    private static func noUnits(_ registry: Registry) throws(RegistryError) -> Bool {
        try registry.read { db in try SuspendedRentalCounts.noUnits(db) }
    }

    /// Opens the file and reads its header: each column's place, and its title as the file
    /// writes it (`身份证号`), for messages.
    /// A GB18030 file (named so, or not valid UTF-8) is converted as it is read, in memory.
    func open(_ path: String) throws(RegistryError) -> (TableSource, columnIndex: [String: Int], titles: [String: String]) {
        let reader = try TableSource.open(path: path, encoding: encoding)
        let headerRow: [String]
        do throws(CSVRecordReader.Malformed) {
            headerRow = try reader.next()?.fields ?? []
        } catch {
            reader.close()
            throw RegistryError(.invalidParams, reason: error.reason, field: "file", message: "line \(error.line): \(error.message)")
        }
        do {
            let (index, titles) = try header(headerRow)
            return (reader, index, titles)
        } catch {
            reader.close()
            throw error
        }
    }

    /// Runs every row through its operation, in one all-or-nothing transaction.
    private func rowByRow(_ registry: Registry, path: String, operator actor: String, started: Date,
                          progress: ((Int, Double) -> Void)?) throws -> Int {
        let (reader, columnIndex, titles) = try open(path)
        defer { reader.close() }
        var lastReport = started
        var bad: [BadRow] = []
        var badCount = 0
        var checked = 0

        let rows: Int
        do throws(RegistryError) {
            // All or nothing: any bad row rolls the whole transaction back, so rows need no
            // savepoints of their own.
            rows = try registry.performGroup(operator: actor, isolation: .allOrNothing) { group throws(RegistryError) -> Int in
            let importStart = try ImportRun.start(in: group)
            var indexes = try DeferredIndexes(kind, in: group)
            var rentalCounts = kind == .units ? try SuspendedRentalCounts.suspendIfNoUnits(in: group) : nil
            let rentalCountsAfter = kind == .units && rentalCounts == nil ? try SuspendedRentalCounts.rowsWorthARecount(in: group) : nil
            var done = 0
            while true {
                let next: ImportRecord?
                do throws(CSVRecordReader.Malformed) {
                    next = try reader.next()
                } catch {
                    throw RegistryError(.invalidParams, reason: error.reason, field: "file",
                                        message: "line \(error.line): \(error.message); the file cannot be read further")
                }
                guard let next else { break }
                let (line, record) = (next.line, next.fields)
                if record.allSatisfy({ CellText.trimmed($0).isEmpty }) { continue }
                let cells = Cells(values: record, index: columnIndex, numbers: next.numbers)
                let outcome: Result<Void, RegistryError>
                if record.count != columnIndex.count {
                    outcome = .failure(.invalid("row", "has \(record.count) cells, the header \(columnIndex.count)"))
                } else {
                    outcome = perform(cells, in: group)
                }
                if case let .failure(error) = outcome {
                    badCount += 1
                    if bad.count < Self.maxReportedRows {
                        bad.append(BadRow(line: line, column: error.field.map { Self.column(for: $0, kind: kind) }.map { titles[$0] ?? $0 },
                                          reason: error.reason, message: error.message))
                    }
                }
                done += 1
                try indexes.written(done, in: group)
                if done == rentalCountsAfter { rentalCounts = try SuspendedRentalCounts.suspend(in: group) }
                if let progress, done % 1000 == 0 {
                    let now = Date()
                    if now.timeIntervalSince(lastReport) >= 1 {
                        lastReport = now
                        progress(done, now.timeIntervalSince(started))
                    }
                }
            }
            if badCount > 0 { throw RegistryError(.invalidParams, reason: .badRows, message: "\(badCount) bad rows") }
            if dryRun {
                checked = done
                throw RegistryError(.invalidParams, reason: .dryRun, message: "a dry run writes nothing")
            }
            try indexes.rebuild(in: group)
            try rentalCounts?.resume(in: group)
            try ImportRun.finish(kind, since: importStart, in: group)
            return done
            }
        } catch {
            let failure: RegistryError = error
            if failure.reason == .badRows { throw Refusal(badRows: bad, badRowCount: badCount) }
            if failure.reason == .dryRun { return checked }
            throw failure
        }
        return rows
    }

    // MARK: - Rows

    /// The cells of one record, by column name; an empty cell is an absent value.
    struct Cells {
        var values: [String]
        var index: [String: Int]
        /// The cells a spreadsheet stored as numbers (bit i for cell i).
        var numbers: UInt64 = 0

        /// The cell trimmed of white space (ASCII and full-width); `nil` when empty.
        subscript(_ column: String) -> String? {
            guard let i = index[column], i < values.count else { return nil }
            let value = CellText.trimmed(values[i])
            return value.isEmpty ? nil : value
        }

        /// Refuses a cell the spreadsheet stored as a number where text must be (an ID
        /// number, a phone, a code or a unit id): past 15 digits a number loses its last
        /// ones, and a leading 0 is gone.
        func refuseNumber(_ column: String, field: String, what: String, echo: Bool = true) throws(RegistryError) {
            guard let i = index[column], i < 64, numbers & (1 << UInt64(i)) != 0 else { return }
            let found = echo ? "found \(self[column].map { "'\($0)'" } ?? "a number") stored as a number" : "the cell is stored as a number"
            throw RegistryError.invalid(field, "\(found): a spreadsheet keeps only 15 digits of a number and drops leading zeros, so \(what) may have changed; format the column as text (设置单元格格式 → 文本) and type the values again",
                                        reason: .storedAsNumber)
        }

        /// A code or unit id: full-width forms read as ASCII; a number cell refused.
        func code(_ column: String, field: String) throws(RegistryError) -> String? {
            try refuseNumber(column, field: field, what: "the code")
            return self[column].map(CellText.folded)
        }

        /// A required code or unit id.
        func requiredCode(_ column: String, field: String) throws(RegistryError) -> String {
            guard let value = try code(column, field: field) else { throw .invalid(field, "is required") }
            return value
        }

        /// A name or address (refusing characters lost to a wrong encoding).
        func words(_ column: String, field: String) throws(RegistryError) -> String? {
            try self[column].map { text throws(RegistryError) in try CellText.words(text, field: field) }
        }

        /// A phone, checked as spreadsheets hold them; a number cell refused.
        func phone(_ column: String, field: String) throws(RegistryError) -> String? {
            try refuseNumber(column, field: field, what: "the phone number", echo: false)
            return try self[column].map { text throws(RegistryError) in try CellText.phone(text, field: field) }
        }

        func required(_ column: String, field: String) throws(RegistryError) -> String {
            guard let value = self[column] else { throw .invalid(field, "is required") }
            return value
        }

        func date(_ column: String, field: String) throws(RegistryError) -> CivilDate? {
            guard let text = self[column] else { return nil }
            return try CellText.date(text, field: field)
        }

        func idNumber(_ column: String, field: String, today: CivilDate) throws(RegistryError) -> IDNumber? {
            try refuseNumber(column, field: field, what: "the ID number")
            guard let raw = self[column] else { return nil }
            let text = try CellText.idNumber(raw, field: field)
            do { return try IDNumber(text, today: today) } catch { throw error.blaming(field) }
        }

        func value<E: ContractEnum>(_ column: String, field: String) throws(RegistryError) -> E {
            try E.parse(try required(column, field: field), field: field)
        }
    }

    func perform(_ cells: Cells, in group: Registry.Group) -> Result<Void, RegistryError> {
        do throws(RegistryError) {
            let today = group.today
            switch kind {
            case .areas:
                let request = AddArea(code: try cells.requiredCode("code", field: "code"),
                                      name: try CellText.words(try cells.required("name", field: "name"), field: "name"),
                                      level: try cells.value("level", field: "level"), parent: try cells.requiredCode("parent", field: "parent"))
                return group.perform(request).map { _ in () }
            case .units:
                var landlord: Landlord?
                if cells["landlord_name"] != nil || cells["landlord_id_number"] != nil || cells["landlord_phone"] != nil {
                    guard let id = try cells.idNumber("landlord_id_number", field: "landlord.idNumber", today: today) else {
                        throw RegistryError.invalid("landlord.idNumber", "is required when a landlord is given")
                    }
                    landlord = Landlord(name: try CellText.words(try cells.required("landlord_name", field: "landlord.name"), field: "landlord.name"),
                                        idNumber: id, phone: try cells.phone("landlord_phone", field: "landlord.phone"))
                }
                guard let discovered = try cells.date("discovered_on", field: "discoveredOn") else {
                    throw RegistryError.invalid("discoveredOn", "is required")
                }
                let request = AddUnit(grid: try cells.requiredCode("grid", field: "grid"),
                                      address: try CellText.words(try cells.required("address", field: "address"), field: "address"),
                                      kind: try cells.value("kind", field: "kind"), discoveredOn: discovered,
                                      unitId: try cells.code("unit_id", field: "unitId"), landlord: landlord,
                                      registeredOn: try cells.date("registered_on", field: "registeredOn"))
                return group.perform(request).map { _ in () }
            case .residents:
                guard let id = try cells.idNumber("id_number", field: "idNumber", today: today) else {
                    throw RegistryError.invalid("idNumber", "is required")
                }
                guard let movedIn = try cells.date("moved_in", field: "movedIn") else {
                    throw RegistryError.invalid("movedIn", "is required")
                }
                let request = ImportedResidence(
                    register: RegisterResident(idNumber: id, name: try CellText.words(try cells.required("name", field: "name"), field: "name"),
                                               unitId: try cells.requiredCode("unit_id", field: "unitId"), movedIn: movedIn,
                                               phone: try cells.phone("phone", field: "phone"), hukouCode: try cells.code("hukou_code", field: "hukouCode"), householdId: nil,
                                               relation: nil, transfer: true),
                    movedOut: try cells.date("moved_out", field: "movedOut"))
                return group.perform(request).map { _ in () }
            }
        } catch {
            return .failure(error)
        }
    }

    /// The columns of a header row by name (Chinese titles read as their names), and each
    /// name's title as written.
    private func header(_ names: [String]) throws(RegistryError) -> ([String: Int], titles: [String: String]) {
        var index: [String: Int] = [:]
        var titles: [String: String] = [:]
        for (i, raw) in names.enumerated() {
            let title = CellText.trimmed(raw.replacingOccurrences(of: "\u{FEFF}", with: ""))
            let name = ColumnTitles.english[title] ?? (title == "名称" ? "name" : title)
            index[name] = i
            titles[name] = title
        }
        let missing = kind.columns.filter { index[$0] == nil }
        let unknown = index.keys.filter { !kind.columns.contains($0) }.sorted()
        guard missing.isEmpty, unknown.isEmpty else {
            var problems: [String] = []
            if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
            if !unknown.isEmpty { problems.append("unknown \(unknown.joined(separator: ", "))") }
            throw RegistryError(.invalidParams, reason: .invalidHeader, field: "header",
                                message: "line 1: the header of a \(kind.rawValue) file must be \(kind.columns.joined(separator: ",")) or their Chinese titles (\(kind.columns.map { ColumnTitles.chinese[$0] ?? $0 }.joined(separator: ","))) (\(problems.joined(separator: "; "))); the header must be the first row: remove any title rows above it")
        }
        return (index, titles)
    }

    /// The file column a request field comes from: `landlord.idNumber` → `landlord_id_number`.
    static func column(for field: String, kind: Kind) -> String {
        if field == "row" { return "row" }
        if kind == .residents && field == "date" { return "moved_out" }
        var out = ""
        for character in field {
            if character == "." { out += "_"; continue }
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
        return out
    }
}

/// One row of `residents.csv`: a residence, registered (closing an open one on its move-in
/// day, as rows come in move-in order) and, for a past residence, moved out again.
/// A row identical to a stored residence is refused as a duplicate.
struct ImportedResidence: RegistryRequest {
    static let method = "import.residence"
    enum CodingKeys: String, CodingKey, CaseIterable { case register, movedOut }

    var register: RegisterResident
    var movedOut: CivilDate?

    init(register: RegisterResident, movedOut: CivilDate?) {
        self.register = register
        self.movedOut = movedOut
    }

    init(from decoder: any Decoder) throws {
        throw RegistryError.invalid("params", "import rows are not decoded from JSON")
    }

    func execute(in context: OperationContext) throws -> JSONValue {
        // By the blind index in one query: finding the person first opened their sealed
        // phone, for a check that needs none (about a tenth of a later import's time).
        let key = try context.sealingKey()
        let duplicate = try context.kept.statement("""
            SELECT count(*) FROM resident p JOIN residence x ON x.resident = p.id JOIN unit u ON u.id = x.unit
            WHERE p.id_index = ? AND u.unit_id = ? AND x.moved_in = ?
            """, in: context.db)
        duplicate.bind(1, key.blindIndex(register.idNumber.value))
        duplicate.bind(2, register.unitId)
        duplicate.bind(3, register.movedIn.description)
        if try duplicate.first({ $0.int64(0) }) ?? 0 > 0 {
            throw RegistryError.conflict(.duplicateResidence, field: "movedIn",
                                         "this residence (\(register.idNumber.masked) in \(register.unitId) from \(register.movedIn)) is already stored")
        }
        let result = try register.execute(in: context)
        if let movedOut {
            _ = try MoveOutResident(idNumber: register.idNumber, date: movedOut).execute(in: context)
        }
        return result.json
    }
}

/// Secondary indexes (and triggers) set aside during a bulk load, made again from their
/// own stored SQL (so `schema.sql` stays their one definition). Inside the import's
/// transaction: other connections keep seeing them, and a refused import restores them by
/// rolling back.
struct DeferredSchema {
    private var definitions: [String] = []

    /// Drops the named indexes and triggers that exist, remembering their definitions.
    static func drop(_ names: [String], in group: Registry.Group) throws(RegistryError) -> DeferredSchema {
        var deferred = DeferredSchema()
        try storageErrors {
            for name in names {
                guard let row = try Row.fetchOne(group.db, sql: """
                    SELECT type, sql FROM sqlite_master WHERE name = ? AND (type = 'index' OR type = 'trigger')
                    """, arguments: [name]) else { continue }
                deferred.definitions.append(row[1])
                try group.db.execute(sql: "DROP \(row[0] as String) \(name)")
            }
        }
        return deferred
    }

    /// Makes them again, with a small page cache (``Database/withPageCache(kibibytes:_:)``):
    /// an index's sort spills to temporary files sooner, and the import's peak memory does
    /// not double at its end.
    func rebuild(in group: Registry.Group) throws(RegistryError) {
        try storageErrors {
            try group.db.withPageCache {
                for sql in definitions { try group.db.execute(sql: sql) }
            }
        }
    }
}

extension Database {
    /// Runs `body` with a page cache of `kibibytes` instead of the connection's 40 MiB, and
    /// puts the old size back. The default, 8 MiB, is for a statement that sorts a whole
    /// table (an index rebuilt, the population recounted): SQLite's sorter keeps up to a
    /// page cache's worth of keys in memory on top of the cache itself.
    func withPageCache<T>(kibibytes: Int = 8192, _ body: () throws -> T) throws -> T {
        let cacheSize = try Int.fetchOne(self, sql: "PRAGMA cache_size") ?? -2000
        try execute(sql: "PRAGMA cache_size = -\(kibibytes)")
        defer { try? execute(sql: "PRAGMA cache_size = \(cacheSize)") }
        return try body()
    }
}
