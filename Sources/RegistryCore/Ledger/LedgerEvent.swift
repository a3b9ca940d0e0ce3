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
        let key = try context.sealingKey()
        let tip = try context.chainTips.ledger ?? HashChain.tip(context.db, HashChain.ledger)
        let seq = tip.seq + 1
        // In HashChain.ledger's column order.
        let values: [JSONValue] = [
            .int(seq), .string(type.rawValue), .string(date.description),
            .optional(person.map { $0.id }), .optional(person?.name), .optional(person?.sex.rawValue),
            .optional(person?.birthDate), .optional(person?.hukouCode), .optional(migrant.map { Int64($0 ? 1 : 0) }),
            .string(unit.unitId), .string(unit.address), .string(unit.grid), .string(unit.community),
            .string(unit.subdistrict), .string(context.actor), .string(context.now),
        ]
        let statement = try RawStatement(context.db, """
            INSERT INTO ledger_event (seq, type, date, resident, name, sex, birth_date, hukou_code, migrant,
                                      unit_id, address, grid, community, subdistrict, operator, recorded_at, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (index, value) in values.enumerated() {
            switch value {
            case let .int(number): statement.bind(Int32(index + 1), number)
            case let .string(text): statement.bind(Int32(index + 1), text)
            default: statement.bind(Int32(index + 1), nil as String?)
            }
        }
        let hash = HashChain.link(previous: tip.hash, values: values, key: key)
        statement.bind(Int32(values.count + 1), hash)
        try statement.run()
        context.chainTips.ledger = (seq, hash)
    }
}
