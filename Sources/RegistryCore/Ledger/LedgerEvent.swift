import GRDB

/// The kinds of ledger events.
public enum LedgerEventType: String, ContractEnum {
    case unitAdded = "unit_added"
    case unitRegistered = "unit_registered"
    case unitClosed = "unit_closed"
    case moveIn = "move_in"
    case moveOut = "move_out"
    case profileUpdated = "profile_updated"
}

/// One event of the append-only ledger: a snapshot of the person and unit as they were
/// when it was written. A later change never alters it (triggers refuse UPDATE and DELETE).
struct LedgerEvent: Sendable {
    var type: LedgerEventType
    var date: CivilDate
    /// The person's fields; all `nil` for unit events.
    var person: ResidentRecord?
    var migrant: Bool?
    var unit: UnitRecord

    /// An event about a unit alone.
    static func unit(_ type: LedgerEventType, _ unit: UnitRecord, on date: CivilDate) -> LedgerEvent {
        LedgerEvent(type: type, date: date, person: nil, migrant: nil, unit: unit)
    }

    /// An event about a person at a unit; `migrant` is judged against that unit's subdistrict.
    static func person(_ type: LedgerEventType, _ person: ResidentRecord, at unit: UnitRecord, on date: CivilDate,
                       settings: RegistrySettings) -> LedgerEvent {
        LedgerEvent(type: type, date: date, person: person,
                    migrant: settings.isMigrant(hukouCode: person.hukouCode, subdistrict: unit.subdistrict),
                    unit: unit)
    }

    /// Appends the event in the current transaction.
    ///
    /// Each column is bound and written into the link's text (``HashChain``) by one call, in
    /// ``HashChain/ledger``'s column order, so the two cannot disagree; `registry check`
    /// computes the same text from the stored row through ``HashChain/values(of:_:)``, and
    /// `ChainGoldenTests` fixes its bytes. (Straight into the statement and one buffer:
    /// every registration and every imported row appends an event.)
    func append(in context: OperationContext) throws {
        let key = try context.sealingKey()
        let tip = try context.chainTips.ledger ?? HashChain.tip(context.db, HashChain.ledger)
        let seq = tip.seq + 1
        // Every one of the 17 parameters is bound below: a kept statement may.
        let statement = try context.kept.statement(Self.insertion, in: context.db)
        var row = LinkedRow(statement: statement, previous: tip.hash)
        row.integer(seq)
        row.text(type.rawValue)
        row.text(date.description)
        row.integer(person?.id)
        row.text(person?.name)
        row.text(person?.sex.rawValue)
        row.text(person?.birthDate.description)
        row.text(person?.hukouCode)
        row.integer(migrant.map { $0 ? 1 : 0 })
        row.text(unit.unitId)
        row.text(unit.address)
        row.text(unit.grid)
        row.text(unit.community)
        row.text(unit.subdistrict)
        row.text(context.actor)
        row.text(context.now)
        let hash = row.finish(key: key)
        try statement.run()
        context.chainTips.ledger = (seq, hash)
    }

    private static let insertion: StaticString = """
        INSERT INTO ledger_event (seq, type, date, resident, name, sex, birth_date, hukou_code, migrant,
                                  unit_id, address, grid, community, subdistrict, operator, recorded_at, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
}

/// The columns of one chained row, each bound to the INSERT and written into the link's
/// text (``HashChain/LinkText``) in the same call. A struct with mutating methods rather
/// than local closures: closures capturing the buffer pay a run-time exclusivity check per
/// access.
private struct LinkedRow {
    let statement: RawStatement
    private var link: HashChain.LinkText
    private var column: Int32 = 0

    init(statement: RawStatement, previous: String) {
        self.statement = statement
        link = HashChain.LinkText(previous: previous)
    }

    mutating func text(_ value: String?) {
        column += 1
        statement.bind(column, value)
        link.append(text: value)
    }

    mutating func integer(_ value: Int64?) {
        column += 1
        statement.bind(column, value)
        link.append(integer: value)
    }

    /// Closes the text, binds its hash to the next column and returns the hash.
    mutating func finish(key: RegistryKey?) -> String {
        let hash = HashChain.link(linkBytes: link.close(), key: key)
        statement.bind(column + 1, hash)
        return hash
    }
}
