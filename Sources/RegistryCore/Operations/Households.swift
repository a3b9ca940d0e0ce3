import Foundation
import GRDB

/// `household.create`: a household (户) in a unit, optionally with its head.
///
/// The head must live in the unit now (`not_living_here` otherwise) and becomes a member
/// with relation `head`. Writes no ledger event.
public struct CreateHousehold: RegistryRequest {
    public static let method = "household.create"
    public enum CodingKeys: String, CodingKey, CaseIterable { case unitId, headIdNumber }

    public var unitId: String
    public var headIdNumber: IDNumber?

    public struct Result: JSONRepresentable {
        public var householdId: Int64
        public var json: JSONValue { .object([("householdId", .int(householdId))]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let db = context.db
        let unit = try UnitRecord.require(db, unitId: unitId)
        try context.requireInside(unit)
        guard unit.closedOn == nil else {
            throw RegistryError.conflict(.unitClosed, field: "unitId", "unitId: \(unitId) was closed on \(unit.closedOn!)")
        }
        var head: ResidentRecord?
        if let headIdNumber {
            let person = try ResidentRecord.require(context, idNumber: headIdNumber, field: "headIdNumber")
            guard try person.openResidence(db)?.unit == unit.id else {
                throw RegistryError.conflict(.notLivingHere, field: "headIdNumber", "headIdNumber: \(headIdNumber.masked) does not live in \(unitId) now")
            }
            head = person
        }
        try db.cachedExecute(sql: "INSERT INTO household (unit) VALUES (?)", arguments: [unit.id])
        let householdId = db.lastInsertedRowID
        if let head {
            try HouseholdMembership.add(db, household: householdId, resident: head.id, relation: .head)
        }
        return Result(householdId: householdId)
    }
}

/// Membership of a person in a household.
enum HouseholdMembership {
    /// Adds (or changes the relation of) a member; a second head is a conflict.
    static func add(_ db: Database, household: Int64, resident: Int64, relation: Relation) throws {
        if relation == .head,
           let head = try db.cachedValue(Int64.self, sql: "SELECT resident FROM household_member WHERE household = ? AND relation = 'head'", arguments: [household]),
           head != resident {
            throw RegistryError.conflict(.householdHasHead, field: "relation", "relation: household \(household) has a head already")
        }
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO household_member (household, resident, relation) VALUES (?, ?, ?)")
            .execute(arguments: [household, resident, relation.rawValue])
    }

    /// The unit row id of a household, or `unknown_household` on `field`.
    static func unit(of household: Int64, _ db: Database, field: String) throws -> Int64 {
        guard let unit = try db.cachedValue(Int64.self, sql: "SELECT unit FROM household WHERE id = ?", arguments: [household]) else {
            throw RegistryError.notFound(.unknownHousehold, field: field, "\(field): no household \(household)")
        }
        return unit
    }
}

/// `household.get`: a household's unit and its members who live there now.
public struct GetHousehold: RegistryRequest {
    public static let method = "household.get"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case householdId }

    public var householdId: Int64

    public struct Result: JSONRepresentable {
        var householdId: Int64
        var unitId: String
        var members: [(idNumber: String, name: String, relation: String)]
        public var json: JSONValue {
            .object([
                ("householdId", .int(householdId)), ("unitId", .string(unitId)),
                ("members", .array(members.map {
                    .object([("idNumber", .string($0.idNumber)), ("name", .string($0.name)), ("relation", .string($0.relation))])
                })),
            ])
        }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let db = context.db
        let unitRow = try HouseholdMembership.unit(of: householdId, db, field: "householdId")
        let unit = try UnitRecord.find(db, id: unitRow)!
        try context.requireInside(unit, field: "householdId")
        // Members are the people of the household whose open residence is in its unit:
        // someone who moved away is no longer counted, without rewriting any row.
        let rows = try db.cachedRows(sql: """
            SELECT r.id_index, r.id_cipher, r.name, m.relation
            FROM household_member m
            JOIN resident r ON r.id = m.resident
            JOIN residence x ON x.resident = r.id AND x.moved_out IS NULL AND x.unit = ?
            WHERE m.household = ?
            ORDER BY m.relation <> 'head', x.moved_in, r.id
            """, arguments: [unitRow, householdId])
        let masked = Disclosure(reveal: false, key: try context.sealingKey())
        return Result(householdId: householdId, unitId: unit.unitId,
                      members: try rows.map { row throws(RegistryError) in
                          (try masked.idNumber(cipher: row[1] as Data, index: row[0] as Data), row[2], row[3])
                      })
    }
}
