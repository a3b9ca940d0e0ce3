import Foundation
import GRDB

/// The fast path of `registry import residents`: new people loaded in bulk, on two threads.
///
/// One thread reads and parses the file, checks every field with the same rules as
/// `resident.register` (``TextRules``, ``IDNumber``), seals the ID number and phone, and
/// finds each row's unit; the other writes, in file order, inside one all-or-nothing
/// transaction.
///
/// A county's first load (nobody lives in the registry yet) is written through SQLite's
/// rollback journal when the database can be had alone (``RollbackJournal``); the writer
/// then finds the units itself, as no other connection may read meanwhile. Otherwise the
/// load stays in WAL mode and the units are read on the parsing thread, through a reader
/// connection whose snapshot begins after the writer's transaction has begun (and so
/// holds the write lock): it sees the units as the import's transaction does, since
/// importing residents never changes a unit, and its look-ups never search the import's
/// own growing WAL index.
///
/// A row whose person is seen for the first time in the file is written directly: the person, the residence
/// (closed already when `moved_out` is given) and the `move_in` (and `move_out`) events,
/// the same rows and events its operations would write. A row of a person seen before in
/// the file, or of a person already registered (the blind index's UNIQUE constraint says
/// so), runs through the operations themselves, which read the state the bulk rows left.
///
/// Anything else (a bad field, an unknown or closed unit, a refused operation, a malformed
/// file, a missing key) rolls the whole transaction back and returns `nil`: the caller then
/// runs every row through its operation, which reports each bad row exactly. So a refused
/// file costs a second pass, and an accepted one is never judged by other rules.
struct BulkResidentLoad {
    let importer: CSVImport
    let path: String

    /// Rows per hand-over between the threads; at most ``queueDepth`` are waiting, so
    /// memory does not grow with the file.
    static let batchSize = 512
    static let queueDepth = 16

    /// A row as the parsing thread hands it over.
    enum Staged: @unchecked Sendable {
        /// A person not seen before in the file, every field checked and sealed. Indirect:
        /// a row is handed from array to loop to `switch`, and each copy of the struct
        /// inline retained and released its dozen strings and buffers (5% of the writer's
        /// time at a million rows); the box is retained once.
        indirect case newPerson(NewPerson)
        /// A later row of a person seen before: run through the operations.
        case operation(line: Int, fields: [String])
        /// A row the fast path does not take: fall back to row by row.
        case unusable
    }

    struct NewPerson {
        var line: Int
        var fields: [String]
        var person: ResidentRecord
        /// The row's `unit_id` as the file gives it.
        var unitCode: String
        /// The row's unit, open on the day the writer's transaction began, when the parsing
        /// thread found it; `nil` when the writer finds it.
        var unit: UnitRecord?
        var movedIn: CivilDate
        var movedOut: CivilDate?
        var blindIndex: Data
        var idCipher: Data
        var phoneCipher: Data?
    }

    /// What a load wrote, and how.
    struct Loaded {
        var rows: Int
        /// Written through the rollback journal rather than the WAL.
        var rollbackJournal: Bool
    }

    /// Loads the file; `nil` when the caller must run the rows one by one instead.
    func run(_ registry: Registry, operator actor: String, started: Date,
             progress: ((Int, Double) -> Void)?) throws(RegistryError) -> Loaded? {
        guard let key = registry.key else { return nil }
        let (reader, columnIndex, _) = try importer.open(path)
        let journal = try Self.isFirstLoad(registry) ? RollbackJournal.enter(registry.pool) : nil
        defer { journal?.leave() }
        // Each batch weighs 1: at most `queueDepth` wait.
        let queue = BatchQueue<[Staged]>(capacity: Self.queueDepth)
        let parser = Parser(reader: reader, columnIndex: columnIndex, key: key, today: .today(), queue: queue,
                            units: journal == nil ? registry.pool : nil)
        let thread = Thread { parser.run() }
        thread.stackSize = 1 << 20
        thread.start()
        defer {
            queue.cancel()
            parser.writerBegan.signal()
            parser.finished.wait()
        }
        do {
            let rows = try registry.performGroup(operator: actor, isolation: .allOrNothing) { group throws(RegistryError) -> Int in
                // The transaction holds the write lock from its first statement (immediate).
                parser.writerBegan.signal()
                let importStart = try ImportRun.start(in: group)
                var indexes = try DeferredIndexes(.residents, in: group)
                let counts = try SuspendedPopulationCounts.suspendIfNobodyLives(in: group)
                let months = counts != nil ? nil : try storageErrors { try PopulationMonths.Batch(group.db) }
                // One transaction of any size spills dirty pages to the WAL anyway: the
                // requests' 40 MiB page cache would only add to the import's peak memory.
                let done = try storageErrors {
                    try group.db.withPageCache(kibibytes: 16384) { () throws -> Int in
                        var done = 0
                        var lastReport = started
                        // The writer finds the units only when the parsing thread cannot.
                        var units = UnitsSeen(directory: journal != nil ? try UnitDirectory(group.db) : nil)
                        while let batches = queue.takeAll() {
                            for row in batches.joined() {
                                try write(row, columnIndex: columnIndex, months: months, units: &units, in: group)
                                done += 1
                                try indexes.written(done, in: group)
                            }
                            if let progress {
                                let now = Date()
                                if now.timeIntervalSince(lastReport) >= 1 {
                                    lastReport = now
                                    progress(done, now.timeIntervalSince(started))
                                }
                            }
                        }
                        return done
                    }
                }
                // The parsed rows are freed by now: give their pages back before the recount's
                // arrays are made, or the peak is the loop's and the recount's added together
                // (measured at a million residents: 103 MB, 85 without the recount's arrays).
                ReleasedMemory.returnToSystem()
                try counts?.resume(in: group)
                try storageErrors { try months?.finish(group.db, through: group.today) }
                try indexes.rebuild(in: group)
                try ImportRun.finish(.residents, since: importStart, in: group)
                return done
            }
            return Loaded(rows: rows, rollbackJournal: journal != nil)
        } catch {
            if error.reason == Self.fallback.reason { return nil }
            throw error
        }
    }

    /// Whether nobody lives in the registry: only then is the load written through the
    /// rollback journal (it shuts other readers out while it runs, and a first load is
    /// the large one). The transaction decides again for itself
    /// (``SuspendedPopulationCounts``); this only chooses the journal.
    private static func isFirstLoad(_ registry: Registry) throws(RegistryError) -> Bool {
        try registry.read { db in try SuspendedPopulationCounts.nobodyLives(db) }
    }

    /// How the writer finds units: the last one found (rows of one unit usually come
    /// together), else by row id through the directory, else by code.
    struct UnitsSeen {
        var directory: UnitDirectory?
        var last: UnitRecord?

        /// The open unit `code`, or the fallback when there is none.
        mutating func find(_ code: String, in db: Database) throws -> UnitRecord {
            if let last, last.unitId == code { return last }
            var unit: UnitRecord?
            if let id = directory?.rowID(of: code) {
                unit = try UnitRecord.find(db, id: id)
                // The directory knows hashes, not codes.
                if unit?.unitId != code { unit = nil }
            }
            if unit == nil { unit = try UnitRecord.find(db, unitId: code) }
            guard let unit, unit.closedOn == nil else { throw fallback }
            last = unit
            return unit
        }
    }

    private static let fallback = RegistryError(.internalError, reason: .bulkFallback, message: "the rows are run one by one")

    /// The residence's insert, with its move-out (the person's is ``ResidentRecord``'s).
    /// Both are the transaction's kept statements (``KeptStatements``): every parameter is
    /// bound again for each row.
    private static let residenceInsertion: StaticString = "INSERT INTO residence (resident, unit, moved_in, moved_out) VALUES (?, ?, ?, ?)"

    /// - Parameter months: how the months' counts follow the new residences; `nil` when the
    ///   population is recounted at the end (a first load), so new residences are not
    ///   counted one by one.
    private func write(_ row: Staged, columnIndex: [String: Int], months: PopulationMonths.Batch?,
                       units: inout UnitsSeen, in group: Registry.Group) throws(RegistryError) {
        switch row {
        case .unusable:
            throw Self.fallback
        case let .operation(_, fields):
            guard case .success = importer.perform(CSVImport.Cells(values: fields, index: columnIndex), in: group) else {
                throw Self.fallback
            }
        case let .newPerson(new):
            let context = group.context
            let db = context.db
            try storageErrors {
                let unit = try new.unit ?? units.find(new.unitCode, in: db)
                var person = new.person
                let resident = try context.kept.statement(ResidentRecord.insertion, in: db)
                resident.bind(1, new.blindIndex)
                resident.bind(2, new.idCipher)
                resident.bind(3, person.name)
                resident.bind(4, person.sex.rawValue)
                resident.bind(5, person.birthDate.description)
                resident.bind(6, person.hukouCode)
                resident.bind(7, new.phoneCipher)
                do {
                    try resident.run()
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    // Registered before this file: the operations know what to do with them.
                    // (The failed INSERT changed nothing.)
                    guard case .success = importer.perform(CSVImport.Cells(values: new.fields, index: columnIndex), in: group) else {
                        throw Self.fallback
                    }
                    return
                }
                person.id = db.lastInsertedRowID
                let residence = try context.kept.statement(Self.residenceInsertion, in: db)
                residence.bind(1, person.id)
                residence.bind(2, unit.id)
                residence.bind(3, new.movedIn.description)
                residence.bind(4, new.movedOut?.description)
                try residence.run()
                let residenceId = db.lastInsertedRowID
                if let months {
                    if new.movedOut == nil { try PopulationShare.add(person: person, unit: unit, in: context) }
                    try months.add(residence: residenceId, movedIn: new.movedIn, taken: context.monthsTaken, db)
                }
                try LedgerEvent.person(.moveIn, person, at: unit, on: new.movedIn, settings: context.settings).append(in: context)
                if let movedOut = new.movedOut {
                    try LedgerEvent.person(.moveOut, person, at: unit, on: movedOut, settings: context.settings).append(in: context)
                }
            }
        }
    }
}

extension BulkResidentLoad {
    /// The reading thread: parses, checks and seals rows, and hands them over in batches.
    final class Parser: @unchecked Sendable {
        private let reader: TableSource
        private let columnIndex: [String: Int]
        private let key: RegistryKey
        private let today: CivilDate
        private let queue: BatchQueue<[Staged]>
        /// Where the thread finds the units; `nil` when the writer finds them.
        private let units: DatabasePool?
        /// Signalled when the thread has stopped (and closed the file).
        let finished = DispatchSemaphore(value: 0)
        /// Signalled once the writer's transaction has begun (or will never begin): only
        /// then does the thread open its snapshot of the units.
        let writerBegan = DispatchSemaphore(value: 0)

        init(reader: TableSource, columnIndex: [String: Int], key: RegistryKey, today: CivilDate,
             queue: BatchQueue<[Staged]>, units: DatabasePool?) {
            self.reader = reader
            self.columnIndex = columnIndex
            self.key = key
            self.today = today
            self.queue = queue
            self.units = units
        }

        func run() {
            defer {
                reader.close()
                finished.signal()
            }
            guard let units else { return stageAll(units: nil) }
            writerBegan.wait()
            do {
                // Units are read once or twice each, in no order: a small cache serves as well.
                try units.read { db in try db.withPageCache(kibibytes: 2048) { stageAll(units: db) } }
            } catch {
                queue.put([.unusable], weight: 1)
                queue.close()
            }
        }

        /// Stages every row, finding units through `db` when there is one.
        private func stageAll(units db: Database?) {
            // People seen so far: fixed memory, sized by the file (about 60 bytes a row).
            var seen = SeenPeople(expected: Int(reader.byteCount / 60))
            var batch: [Staged] = []
            batch.reserveCapacity(BulkResidentLoad.batchSize)
            while true {
                let next: ImportRecord?
                do throws(CSVRecordReader.Malformed) {
                    next = try reader.next()
                } catch {
                    batch.append(.unusable)
                    break
                }
                guard let next else { break }
                if next.fields.allSatisfy({ CellText.trimmed($0).isEmpty }) { continue }
                // A number where text must be is reported by the row-by-row path.
                if next.numbers != 0 { batch.append(.unusable); break }
                batch.append(stage(line: next.line, fields: next.fields, seen: &seen, units: db))
                if batch.count == BulkResidentLoad.batchSize {
                    guard queue.put(batch, weight: 1) else { return }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { queue.put(batch, weight: 1) }
            queue.close()
        }

        private func stage(line: Int, fields: [String], seen: inout SeenPeople, units db: Database?) -> Staged {
            guard fields.count == columnIndex.count else { return .unusable }
            let cells = CSVImport.Cells(values: fields, index: columnIndex)
            do {
                guard let idNumber = try cells.idNumber("id_number", field: "idNumber", today: today) else { return .unusable }
                // A person possibly seen before goes through the operations (always right).
                if seen.insert(Self.personKey(idNumber)) { return .operation(line: line, fields: fields) }
                guard let movedIn = try cells.date("moved_in", field: "movedIn"), movedIn >= idNumber.birthDate else { return .unusable }
                let movedOut = try cells.date("moved_out", field: "movedOut")
                if let movedOut, movedOut < movedIn { return .unusable }
                guard let unitId = try cells.code("unit_id", field: "unitId") else { return .unusable }
                var unit: UnitRecord?
                if let db {
                    unit = try storageErrors { try UnitRecord.find(db, unitId: unitId) }
                    guard let unit, unit.closedOn == nil else { return .unusable }
                }
                let name = try TextRules.text(try CellText.words(try cells.required("name", field: "name"), field: "name"), field: "name", maxLength: 100)
                let phone = try cells.phone("phone", field: "phone").map { p throws(RegistryError) in try TextRules.phone(p, field: "phone") }
                let hukouCode = try cells.code("hukou_code", field: "hukouCode").map { h throws(RegistryError) in try TextRules.hukouCode(h, field: "hukouCode") }
                let blindIndex = key.blindIndex(idNumber.value)
                let person = ResidentRecord(idNumber: idNumber, idIndex: blindIndex, name: name,
                                            hukouCode: hukouCode ?? idNumber.divisionCode, phone: phone)
                return .newPerson(NewPerson(
                    line: line, fields: fields, person: person, unitCode: unitId, unit: unit, movedIn: movedIn, movedOut: movedOut,
                    blindIndex: blindIndex,
                    idCipher: try key.seal(idNumber.value, label: PersonalDataCipher.Label.residentID, boundTo: blindIndex),
                    phoneCipher: try phone.map { try key.seal($0, label: PersonalDataCipher.Label.residentPhone, boundTo: blindIndex) }))
            } catch {
                return .unusable
            }
        }

        /// The first 17 digits of an ID number as a number: the person's key in ``seen``.
        static func personKey(_ idNumber: IDNumber) -> UInt64 {
            var key: UInt64 = 0
            for byte in idNumber.value.utf8.prefix(17) { key = key &* 10 &+ UInt64(byte &- UInt8(ascii: "0")) }
            return key
        }
    }
}
