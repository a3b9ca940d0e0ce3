import Foundation
import GRDB

/// The landlord of a unit, as given to `unit.add`.
public struct Landlord: Decodable, Sendable {
    public var name: String
    public var idNumber: IDNumber
    public var phone: String?
}

/// `unit.add`: records a unit in a grid, found on `discoveredOn`.
///
/// Writes `unit_added` (dated `discoveredOn`), then `unit_registered` when `registeredOn`
/// is given. Without `unitId`, one is made from the grid code (`411525003001001-0007`).
public struct AddUnit: RegistryRequest {
    public static let method = "unit.add"
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case grid, address, kind, discoveredOn, unitId, landlord, registeredOn
    }

    public var grid: String
    public var address: String
    public var kind: UnitKind
    public var discoveredOn: CivilDate
    public var unitId: String?
    public var landlord: Landlord?
    public var registeredOn: CivilDate?

    public struct Result: JSONRepresentable {
        public var unitId: String
        public var json: JSONValue { .object([("unitId", .string(unitId))]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let db = context.db
        let area = try AreaRecord.require(db, code: grid, field: "grid")
        guard area.level == .grid else {
            throw RegistryError.invalid("grid", "\(grid) is a \(area.level.rawValue), not a grid")
        }
        guard context.principal.contains(grid: grid, community: area.community ?? "", subdistrict: area.subdistrict ?? "") else {
            throw Authorization.outOfArea("grid \(grid)", field: "grid")
        }
        let address = try TextRules.text(address, field: "address", maxLength: 500, multiline: true)
        let landlordName = try landlord.map { l throws(RegistryError) in try TextRules.text(l.name, field: "landlord.name") }
        let landlordPhone = try landlord?.phone.map { p throws(RegistryError) in try TextRules.phone(p, field: "landlord.phone") }
        if let registeredOn {
            guard kind == .rental else {
                throw RegistryError.invalid("registeredOn", "only rental units are registered", reason: .notARental)
            }
            guard registeredOn >= discoveredOn else {
                throw RegistryError.invalid("registeredOn", "\(registeredOn) is before discoveredOn \(discoveredOn)", reason: .invalidDate)
            }
        }
        let id: String
        if let given = unitId {
            id = try TextRules.unitId(given, field: "unitId")
            if try UnitRecord.find(db, unitId: id) != nil {
                throw RegistryError.conflict(.duplicateUnit, field: "unitId", "unitId: a unit with id \(id) already exists")
            }
        } else {
            id = try Self.nextUnitId(db, grid: grid)
        }
        try db.cachedStatement(sql: """
            INSERT INTO unit (unit_id, grid, community, subdistrict, address, kind, discovered_on, registered_on,
                              landlord_name, landlord_id_cipher, landlord_phone_cipher)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, registry_seal('\(PersonalDataCipher.Label.landlordID)', ?1, ?10),
                    registry_seal('\(PersonalDataCipher.Label.landlordPhone)', ?1, ?11))
            """).execute(arguments: [
                id, grid, area.community, area.subdistrict, address, kind.rawValue, discoveredOn.description,
                registeredOn?.description, landlordName, landlord?.idNumber.value, landlordPhone,
            ])
        let unit = try UnitRecord.find(db, id: db.lastInsertedRowID)!
        try LedgerEvent.unit(.unitAdded, unit, on: discoveredOn).append(in: context)
        if let registeredOn {
            try LedgerEvent.unit(.unitRegistered, unit, on: registeredOn).append(in: context)
        }
        return Result(unitId: id)
    }

    /// The first free id of the form `GRID-NNNN`.
    static func nextUnitId(_ db: Database, grid: String) throws -> String {
        var number = (try db.cachedValue(Int.self, sql: "SELECT count(*) FROM unit WHERE grid = ?", arguments: [grid]) ?? 0) + 1
        while true {
            let candidate = grid + "-" + String(repeating: "0", count: max(0, 4 - String(number).count)) + String(number)
            if try UnitRecord.find(db, unitId: candidate) == nil { return candidate }
            number += 1
        }
    }
}

/// The `{unitId, status}` result of `unit.register` and `unit.close`.
public struct UnitStatusResult: JSONRepresentable {
    public var unitId: String
    public var status: UnitStatus
    public var json: JSONValue { .object([("unitId", .string(unitId)), ("status", .string(status.rawValue))]) }
}

/// `unit.register`: the rental filing of a rental unit is done on `date`.
///
/// Refused for an owner-occupied unit (`not_a_rental`), a closed one (`unit_closed`), one
/// registered already (`already_registered`), or a date before its discovery (`invalid_date`).
public struct RegisterUnit: RegistryRequest {
    public static let method = "unit.register"
    public enum CodingKeys: String, CodingKey, CaseIterable { case unitId, date }

    public var unitId: String
    public var date: CivilDate

    public func execute(in context: OperationContext) throws -> UnitStatusResult {
        let unit = try UnitRecord.require(context.db, unitId: unitId)
        try context.requireInside(unit)
        guard unit.kind == .rental else {
            throw RegistryError.conflict(.notARental, field: "unitId", "unitId: \(unitId) is owner-occupied; only rental units are registered")
        }
        guard unit.closedOn == nil else {
            throw RegistryError.conflict(.unitClosed, field: "unitId", "unitId: \(unitId) was closed on \(unit.closedOn!)")
        }
        guard unit.registeredOn == nil else {
            throw RegistryError.conflict(.alreadyRegistered, field: "unitId", "unitId: \(unitId) was registered on \(unit.registeredOn!)")
        }
        guard date >= unit.discoveredOn else {
            throw RegistryError.invalid("date", "\(date) is before the unit was discovered (\(unit.discoveredOn))", reason: .invalidDate)
        }
        try context.db.cachedExecute(sql: "UPDATE unit SET registered_on = ? WHERE id = ?", arguments: [date.description, unit.id])
        try LedgerEvent.unit(.unitRegistered, unit, on: date).append(in: context)
        return UnitStatusResult(unitId: unit.unitId, status: .registered)
    }
}

/// `unit.close`: the unit is no longer let (or no longer lived in) from `date`.
///
/// Refused while anyone lives there on or after `date` (`unit_occupied`), for a unit
/// closed already (`unit_closed`), or a date before its discovery or registration.
public struct CloseUnit: RegistryRequest {
    public static let method = "unit.close"
    public enum CodingKeys: String, CodingKey, CaseIterable { case unitId, date }

    public var unitId: String
    public var date: CivilDate

    public func execute(in context: OperationContext) throws -> UnitStatusResult {
        let db = context.db
        let unit = try UnitRecord.require(db, unitId: unitId)
        try context.requireInside(unit)
        guard unit.closedOn == nil else {
            throw RegistryError.conflict(.unitClosed, field: "unitId", "unitId: \(unitId) was closed on \(unit.closedOn!) already")
        }
        let latest = [unit.discoveredOn, unit.registeredOn].compactMap { $0 }.max()!
        guard date >= latest else {
            throw RegistryError.invalid("date", "\(date) is before the unit was \(latest == unit.discoveredOn ? "discovered" : "registered") (\(latest))", reason: .invalidDate)
        }
        let living = try db.cachedValue(Int.self, sql: "SELECT count(*) FROM residence WHERE unit = ? AND (moved_out IS NULL OR moved_out > ?)",
                                      arguments: [unit.id, date.description]) ?? 0
        guard living == 0 else {
            throw RegistryError.conflict(.unitOccupied, field: "unitId", "unitId: \(living) resident(s) still live in \(unitId) on \(date); move them out first")
        }
        try db.cachedExecute(sql: "UPDATE unit SET closed_on = ? WHERE id = ?", arguments: [date.description, unit.id])
        try LedgerEvent.unit(.unitClosed, unit, on: date).append(in: context)
        return UnitStatusResult(unitId: unit.unitId, status: .closed)
    }
}

/// `unit.get`: a unit with the people living there now (ID numbers masked).
public struct GetUnit: RegistryRequest {
    public static let method = "unit.get"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case unitId }

    public var unitId: String

    public struct Result: JSONRepresentable {
        var unit: UnitRecord
        var residents: [(idNumber: String, name: String, movedIn: String)]
        public var json: JSONValue {
            .object([
                ("unitId", .string(unit.unitId)), ("grid", .string(unit.grid)), ("address", .string(unit.address)),
                ("kind", .string(unit.kind.rawValue)), ("status", .string(unit.status.rawValue)),
                ("discoveredOn", .string(unit.discoveredOn.description)), ("registeredOn", .optional(unit.registeredOn)),
                ("closedOn", .optional(unit.closedOn)),
                ("residents", .array(residents.map {
                    .object([("idNumber", .string($0.idNumber)), ("name", .string($0.name)), ("movedIn", .string($0.movedIn))])
                })),
            ])
        }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let unit = try UnitRecord.require(context.db, unitId: unitId)
        try context.requireInside(unit)
        let rows = try context.db.cachedRows(sql: """
            SELECT r.id_index, r.id_cipher, r.name, x.moved_in FROM residence x JOIN resident r ON r.id = x.resident
            WHERE x.unit = ? AND x.moved_out IS NULL ORDER BY x.moved_in, x.id
            """, arguments: [unit.id])
        let masked = Disclosure(reveal: false, key: try context.sealingKey())
        return Result(unit: unit, residents: try rows.map { row throws(RegistryError) in
            (try masked.idNumber(cipher: row[1] as Data, index: row[0] as Data), row[2], row[3])
        })
    }
}
