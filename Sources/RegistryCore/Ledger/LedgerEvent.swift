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
    func append(in context: OperationContext) throws {
        let statement = try RawStatement(context.db, """
            INSERT INTO ledger_event (type, date, id_number, name, sex, birth_date, hukou_code, migrant,
                                      unit_id, address, grid, community, subdistrict, operator, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        statement.bind(1, type.rawValue)
        statement.bind(2, date.description)
        statement.bind(3, person?.idNumber)
        statement.bind(4, person?.name)
        statement.bind(5, person?.sex.rawValue)
        statement.bind(6, person?.birthDate.description)
        statement.bind(7, person?.hukouCode)
        statement.bind(8, migrant)
        statement.bind(9, unit.unitId)
        statement.bind(10, unit.address)
        statement.bind(11, unit.grid)
        statement.bind(12, unit.community)
        statement.bind(13, unit.subdistrict)
        statement.bind(14, context.actor)
        statement.bind(15, context.now)
        try statement.run()
    }
}
