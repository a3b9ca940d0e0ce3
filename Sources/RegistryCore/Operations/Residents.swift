import Foundation
import GRDB

/// `resident.register`: a person moves into a unit on `movedIn`.
///
/// A new person is created (sex and birth date from the ID number, hukou code defaulting
/// to its first 6 digits). A known person's name, phone and hukou code are updated from the
/// request, keeping what it leaves out, with a `profile_updated` event when one changes.
/// A person with an open residence is a conflict (`open_residence`) unless `transfer: true`,
/// which closes the old residence on `movedIn`. Events: `profile_updated`, the transfer's
/// `move_out`, `move_in`, in that order.
public struct RegisterResident: RegistryRequest {
    public static let method = "resident.register"
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case idNumber, name, unitId, movedIn, phone, hukouCode, householdId, relation, transfer
    }

    public var idNumber: IDNumber
    public var name: String
    public var unitId: String
    public var movedIn: CivilDate
    public var phone: String?
    public var hukouCode: String?
    public var householdId: Int64?
    public var relation: Relation?
    public var transfer: Bool?
    /// The ID number and phone sealed on the JSON-RPC server's reading thread (not a param).
    var sealed: SealedIdentity?
    /// The name, phone and hukou code checked on that thread too (not a param).
    var checked: CheckedProfile?

    public struct Result: JSONRepresentable {
        public var idNumber: String
        public var residenceId: Int64
        public var migrant: Bool
        public var json: JSONValue {
            .object([("idNumber", .string(idNumber)), ("residenceId", .int(residenceId)), ("migrant", .bool(migrant))])
        }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let db = context.db
        let profile = try (checked?.of(name: name, phone: phone, hukouCode: hukouCode)
            ?? CheckedProfile(name: name, phone: phone, hukouCode: hukouCode)).outcome.get()
        let (name, phone, hukouCode) = (profile.name, profile.phone, profile.hukouCode)
        if relation != nil && householdId == nil {
            throw RegistryError.invalid("relation", "needs a householdId")
        }
        guard movedIn >= idNumber.birthDate else {
            throw RegistryError.invalid("movedIn", "\(movedIn) is before the person's birth date", reason: .invalidDate)
        }
        let unit = try context.unitMemo.require(unitId, db)
        // Moving in from outside the account's areas (a transfer) is allowed: the unit moved
        // into is the one that must be inside.
        try context.requireInside(unit)
        if let closedOn = unit.closedOn {
            throw RegistryError.conflict(.unitClosed, field: "unitId", "unitId: \(unitId) was closed on \(closedOn)")
        }
        if let householdId {
            let householdUnit = try HouseholdMembership.unit(of: householdId, db, field: "householdId")
            guard householdUnit == unit.id else {
                throw RegistryError.conflict(.notLivingHere, field: "householdId", "householdId: household \(householdId) is in another unit, not \(unitId)")
            }
        }

        var person: ResidentRecord
        // One blind index for the lookup and, for a new person, the insert.
        let key = try context.sealingKey()
        let ahead = sealed?.under(key)
        let blindIndex = ahead?.blindIndex ?? key.blindIndex(idNumber.value)
        if var known = try ResidentRecord.find(context, idNumber: idNumber, blindIndex: blindIndex) {
            let open = try known.openResidence(db)
            if let open, transfer != true {
                let openUnit = try UnitRecord.find(db, id: open.unit)!
                throw RegistryError.conflict(.openResidence, field: "idNumber",
                    "idNumber: \(idNumber.masked) already lives in \(openUnit.unitId) since \(open.movedIn); move them out first or pass transfer: true")
            }
            let lastOutStatement = try context.kept.statement("SELECT max(moved_out) FROM residence WHERE resident = ?", in: db)
            lastOutStatement.bind(1, known.id)
            let lastOut = try lastOutStatement.first { $0.date(0) } ?? nil
            let earliest = [open?.movedIn, lastOut].compactMap { $0 }.max()
            if let earliest, movedIn < earliest {
                throw RegistryError.invalid("movedIn", "\(movedIn) is before \(earliest), when this person's previous residence \(open != nil ? "began" : "ended")", reason: .invalidDate)
            }
            // Before the first write (a refusal above writes nothing): closing the residence
            // or changing the profile subtracts from rows a share held back may not have made yet.
            try context.pendingShares.flush(db)
            let before = (known.name, known.phone, known.hukouCode)
            known.name = name
            if let phone { known.phone = phone }
            if let hukouCode { known.hukouCode = hukouCode }
            if before != (known.name, known.phone, known.hukouCode) {
                try known.updateProfile(context)
                try LedgerEvent.person(.profileUpdated, known, at: unit, on: movedIn, settings: context.settings).append(in: context)
            }
            if let open {
                try db.cachedExecute(sql: "UPDATE residence SET moved_out = ? WHERE id = ?", arguments: [movedIn.description, open.id])
                let oldUnit = try UnitRecord.find(db, id: open.unit)!
                try LedgerEvent.person(.moveOut, known, at: oldUnit, on: movedIn, settings: context.settings).append(in: context)
            }
            person = known
        } else {
            person = ResidentRecord(idNumber: idNumber, idIndex: blindIndex, name: name,
                                    hukouCode: hukouCode ?? idNumber.divisionCode, phone: phone)
            try person.insert(context, idNumber: idNumber,
                              sealed: ahead.map { ($0.idCipher, $0.phone == phone ? $0.phoneCipher : nil) })
        }

        let insert = try context.kept.statement("INSERT INTO residence (resident, unit, moved_in) VALUES (?, ?, ?)", in: db)
        insert.bind(1, person.id)
        insert.bind(2, unit.id)
        insert.bind(3, movedIn.description)
        try insert.run()
        let residenceId = db.lastInsertedRowID
        if !context.populationSuspended {
            try PopulationShare.add(person: person, unit: unit, pending: context.pendingShares, in: context)
            try PopulationMonths.add(residence: residenceId, movedIn: movedIn.description, taken: context.monthsTaken, db)
        }
        let event = LedgerEvent.person(.moveIn, person, at: unit, on: movedIn, settings: context.settings)
        try event.append(in: context)
        if let householdId {
            try HouseholdMembership.add(db, household: householdId, resident: person.id, relation: relation ?? .other)
        }
        return Result(idNumber: idNumber.masked, residenceId: residenceId, migrant: event.migrant ?? false)
    }
}

/// A known person's registration flushes the group's pending shares itself; a new
/// person's only adds shares.
extension RegisterResident {
    public static var leavesSharesPending: Bool { true }
}

extension RegisterResident: SealsAhead {
    mutating func sealAhead(with key: RegistryKey) {
        sealed = SealedIdentity(idNumber: idNumber, phone: phone, key: key)
        checked = CheckedProfile(name: name, phone: phone, hukouCode: hukouCode)
    }

    /// A registration's name, phone and hukou code as ``TextRules`` checks them, with the
    /// params they were checked from: checked on the reading thread, and used by `execute`
    /// only for the very same params, at the point where it checked them itself before —
    /// so a refusal, and which refusal comes first, is what checking on the spot gives.
    struct CheckedProfile: Sendable {
        struct Profile: Sendable {
            var name: String
            var phone: String?
            var hukouCode: String?
        }

        let params: Profile
        let outcome: Swift.Result<Profile, RegistryError>

        init(name: String, phone: String?, hukouCode: String?) {
            params = Profile(name: name, phone: phone, hukouCode: hukouCode)
            outcome = Swift.Result { () throws(RegistryError) -> Profile in
                Profile(name: try TextRules.text(name, field: "name", maxLength: 100),
                        phone: try phone.map { p throws(RegistryError) in try TextRules.phone(p, field: "phone") },
                        hukouCode: try hukouCode.map { h throws(RegistryError) in try TextRules.hukouCode(h, field: "hukouCode") })
            }
        }

        /// This, if checked from exactly these params.
        func of(name: String, phone: String?, hukouCode: String?) -> CheckedProfile? {
            params.name == name && params.phone == phone && params.hukouCode == hukouCode ? self : nil
        }
    }
}

/// `resident.moveOut`: the person's open residence ends on `date`.
public struct MoveOutResident: RegistryRequest {
    public static let method = "resident.moveOut"
    public enum CodingKeys: String, CodingKey, CaseIterable { case idNumber, date }

    public var idNumber: IDNumber
    public var date: CivilDate

    public struct Result: JSONRepresentable {
        public var idNumber: String
        public var json: JSONValue { .object([("idNumber", .string(idNumber))]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let db = context.db
        let person = try ResidentRecord.require(context, idNumber: idNumber)
        guard let open = try person.openResidence(db) else {
            throw RegistryError.conflict(.noOpenResidence, field: "idNumber", "idNumber: \(idNumber.masked) has no open residence to move out of")
        }
        let unit = try UnitRecord.find(db, id: open.unit)!
        try context.requireInside(unit, field: "idNumber")
        guard date >= open.movedIn else {
            throw RegistryError.invalid("date", "\(date) is before the move-in date \(open.movedIn)", reason: .invalidDate)
        }
        try db.cachedExecute(sql: "UPDATE residence SET moved_out = ? WHERE id = ?", arguments: [date.description, open.id])
        try LedgerEvent.person(.moveOut, person, at: unit, on: date, settings: context.settings).append(in: context)
        return Result(idNumber: idNumber.masked)
    }
}

/// `resident.get`: a person's profile and residences. ID number, birth date and phone are
/// masked (``Disclosure``) unless `reveal: true` with a `purpose`, which shows them in full
/// and writes an audit entry naming the person.
public struct GetResident: RegistryRequest {
    public static let method = "resident.get"
    public var isReadOnly: Bool { reveal != true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case idNumber, reveal, purpose }

    public var idNumber: IDNumber
    public var reveal: Bool?
    public var purpose: String?

    public struct Result: JSONRepresentable {
        var person: ResidentRecord
        var shownIDNumber: String
        var shownBirthDate: String
        var shownPhone: String?
        var migrant: Bool
        var residences: [(unitId: String, movedIn: String, movedOut: String?)]
        public var json: JSONValue {
            .object([
                ("idNumber", .string(shownIDNumber)), ("name", .string(person.name)), ("sex", .string(person.sex.rawValue)),
                ("birthDate", .string(shownBirthDate)), ("hukouCode", .string(person.hukouCode)),
                ("migrant", .bool(migrant)), ("phone", .optional(shownPhone)),
                ("residences", .array(residences.map {
                    .object([("unitId", .string($0.unitId)), ("movedIn", .string($0.movedIn)), ("movedOut", .optional($0.movedOut))])
                })),
            ])
        }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let reveal = try Reveal(reveal: reveal, purpose: purpose)
        let db = context.db
        let person = try ResidentRecord.require(context, idNumber: idNumber)
        let rows = try db.cachedRows(sql: """
            SELECT u.unit_id, x.moved_in, x.moved_out, u.subdistrict, u.grid, u.community FROM residence x JOIN unit u ON u.id = x.unit
            WHERE x.resident = ? ORDER BY x.moved_in, x.id
            """, arguments: [person.id])
        // The residence concerned: the open one, else the latest. It must be in the account's areas.
        if let concerned = rows.last(where: { $0[2] as String? == nil }) ?? rows.last,
           !context.principal.contains(grid: concerned[4], community: concerned[5], subdistrict: concerned[3]) {
            throw Authorization.outOfArea("this person", field: "idNumber")
        }
        // Judged against the open residence's subdistrict, else the latest one's.
        let subdistrict: String = rows.last.map { $0[3] } ?? ""
        let migrant = context.settings.isMigrant(hukouCode: person.hukouCode, subdistrict: subdistrict)
        // The entry names the person by their row (`resident`): no form of the number is stored.
        try reveal.audit(context, method: Self.method, filters: .object([]), count: 1, resident: person.id)
        // The person was found by this very number: it is shown (masked or not) without
        // opening the sealed copy.
        return Result(person: person, shownIDNumber: reveal.reveal ? idNumber.value : idNumber.masked,
                      shownBirthDate: reveal.reveal ? person.birthDate.description : Disclosure.maskBirthDate(person.birthDate.description),
                      shownPhone: reveal.reveal ? person.phone : person.phone.map(Disclosure.maskPhone),
                      migrant: migrant, residences: rows.map { ($0[0], $0[1], $0[2]) })
    }
}

/// `resident.find`: people by name prefix, by the unit or area of their open residence,
/// or by migrant status; paged by `after` and `limit`, ID numbers and birth dates masked
/// (so it needs the key: the masked number is made from the sealed one).
public struct FindResidents: RegistryRequest {
    public static let method = "resident.find"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case name, unitId, area, migrant, limit, after }

    public var name: String?
    public var unitId: String?
    public var area: String?
    public var migrant: Bool?
    public var limit: PageLimit?
    public var after: Int64?

    public struct Item: JSONRepresentable {
        var idNumber: String, name: String, sex: String, birthDate: String, hukouCode: String
        var migrant: Bool
        var unitId: String?
        public var json: JSONValue {
            .object([
                ("idNumber", .string(idNumber)), ("name", .string(name)), ("sex", .string(sex)), ("birthDate", .string(birthDate)),
                ("hukouCode", .string(hukouCode)), ("migrant", .bool(migrant)), ("unitId", .optional(unitId)),
            ])
        }
    }

    public struct Result: JSONRepresentable {
        public var residents: [Item]
        public var next: Int64?
        public var json: JSONValue { .object([("residents", residents.json), ("next", .optional(next))]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let db = context.db
        let limit = (limit ?? .standard).value
        var conditions = ["r.id > ?"]
        var arguments: StatementArguments = [after ?? 0]
        if let name, !name.isEmpty {
            // A prefix match that can use the index on name.
            conditions.append("r.name >= ? AND r.name < ? || char(1114111)")
            arguments += [name, name]
        }
        if let unitId {
            let unit = try UnitRecord.require(db, unitId: unitId)
            conditions.append("o.unit = ?")
            arguments += [unit.id]
        }
        if let area {
            let record = try AreaRecord.require(db, code: area, field: "area")
            let condition = record.containsCondition(alias: "ou")
            conditions.append("o.id IS NOT NULL AND " + condition.sql)
            arguments += condition.arguments
        }
        // The subdistrict of the open residence, else of the latest one.
        let latestSubdistrict = """
            coalesce(ou.subdistrict, (SELECT lu.subdistrict FROM residence lx JOIN unit lu ON lu.id = lx.unit
                                      WHERE lx.resident = r.id ORDER BY lx.moved_in DESC, lx.id DESC LIMIT 1), '')
            """
        let migrantSQL = context.settings.migrantSQL(hukou: "r.hukou_code", subdistrict: latestSubdistrict)
        // An account with areas sees the people whose open residence, else latest, is in them.
        var latestJoin = ""
        if let scope = context.principal.scopeCondition(grid: "coalesce(ou.grid, lu.grid)", community: "coalesce(ou.community, lu.community)",
                                                        subdistrict: "coalesce(ou.subdistrict, lu.subdistrict)") {
            latestJoin = """
                LEFT JOIN unit lu ON o.id IS NULL AND lu.id = (SELECT lx.unit FROM residence lx WHERE lx.resident = r.id
                                                               ORDER BY lx.moved_in DESC, lx.id DESC LIMIT 1)
                """
            conditions.append(scope.sql)
            arguments += scope.arguments
        }
        if let migrant {
            conditions.append("\(migrantSQL) = ?")
            arguments += [migrant]
        }
        arguments += [limit + 1]
        let rows = try db.cachedRows(sql: """
            SELECT r.id, r.id_index, r.id_cipher, r.name, r.sex, r.birth_date, r.hukou_code, \(migrantSQL), ou.unit_id
            FROM resident r
            LEFT JOIN residence o ON o.resident = r.id AND o.moved_out IS NULL
            LEFT JOIN unit ou ON ou.id = o.unit
            \(latestJoin)
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY r.id LIMIT ?
            """, arguments: arguments)
        let page = rows.prefix(limit)
        let masked = Disclosure(reveal: false, key: try context.sealingKey())
        return Result(
            residents: try page.map { row throws(RegistryError) in
                Item(idNumber: try masked.idNumber(cipher: row[2] as Data, index: row[1] as Data), name: row[3], sex: row[4],
                     birthDate: masked.birthDate(row[5]), hukouCode: row[6], migrant: row[7], unitId: row[8])
            },
            next: rows.count > limit ? page.last.map { $0[0] } : nil)
    }
}
