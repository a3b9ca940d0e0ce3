import Foundation
import GRDB

/// `worklist.unregisteredUnits`: the rentals a clerk should go after — known for at least
/// `olderThanDays` days (default 30) on `asOf`, neither registered nor closed on that day,
/// oldest first, then by unit id. Within the account's areas. `after` is the `next` of the
/// previous page (`discoveredOn|unitId`).
public struct UnregisteredUnits: RegistryRequest {
    public static let method = "worklist.unregisteredUnits"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case asOf, area, olderThanDays, limit, after }

    public var asOf: CivilDate
    public var area: String?
    public var olderThanDays: Int?
    public var limit: PageLimit?
    public var after: String?

    public init(asOf: CivilDate, area: String? = nil, olderThanDays: Int? = nil, limit: PageLimit? = nil, after: String? = nil) {
        self.asOf = asOf
        self.area = area
        self.olderThanDays = olderThanDays
        self.limit = limit
        self.after = after
    }

    public struct Item: Sendable {
        public var unitId: String, grid: String, address: String, discoveredOn: String, days: Int, landlordName: String?
    }

    public struct Result: JSONRepresentable {
        public var units: [Item]
        public var next: String?
        public var json: JSONValue {
            .object([("units", .array(units.map {
                .object([("unitId", .string($0.unitId)), ("grid", .string($0.grid)), ("address", .string($0.address)),
                         ("discoveredOn", .string($0.discoveredOn)), ("days", .int(Int64($0.days))), ("landlordName", .optional($0.landlordName))])
            })), ("next", .optional(next))])
        }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let limit = (limit ?? .standard).value
        let olderThanDays = olderThanDays ?? 30
        guard (0...36500).contains(olderThanDays) else { throw RegistryError.invalid("olderThanDays", "must be 0 to 36500") }
        let cutoff = asOf.adding(days: -olderThanDays)
        var conditions = ["u.kind = 'rental'", "u.discovered_on <= ?", "(u.registered_on IS NULL OR u.registered_on > ?)",
                          "(u.closed_on IS NULL OR u.closed_on > ?)"]
        var arguments: StatementArguments = [cutoff.description, asOf.description, asOf.description]
        if let after {
            let parts = after.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2, CivilDate(parts[0]) != nil else { throw RegistryError.invalid("after", "is not a cursor this method gave") }
            conditions.append("(u.discovered_on > ? OR (u.discovered_on = ? AND u.unit_id > ?))")
            arguments += [parts[0], parts[0], parts[1]]
        }
        let place = try context.placeConditions(area: area)
        conditions += place.sql
        arguments += place.arguments
        arguments += [limit + 1]
        // The county or a subdistrict: walk the rentals in discovery order and stop after the
        // page. A community or a grid: its few hundred rentals through the index that leads
        // with the areas, then sorted.
        let small = try area.map { try AreaRecord.require(context.db, code: $0, field: "area").level >= .community } ?? false
        let rows = try Row.fetchAll(context.db, sql: """
            SELECT u.unit_id, u.grid, u.address, u.discovered_on, u.landlord_name FROM unit u
            INDEXED BY \(small ? "unit_rental_dates" : "unit_rental_discovered")
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY u.discovered_on, u.unit_id LIMIT ?
            """, arguments: arguments)
        let page = rows.prefix(limit)
        let items = page.map { row -> Item in
            let discovered = CivilDate(row[3] as String)!
            return Item(unitId: row[0], grid: row[1], address: row[2], discoveredOn: row[3], days: asOf.dayNumber - discovered.dayNumber, landlordName: row[4])
        }
        return Result(units: items, next: rows.count > limit ? items.last.map { "\($0.discoveredOn)|\($0.unitId)" } : nil)
    }
}

/// `worklist.permitEligible`: migrants living in the area on `asOf` whose unbroken stay in
/// the county has lasted at least six calendar months by `asOf` (居住证暂行条例). `since` is
/// the start of the stay: residences that follow one another with no day between (a
/// transfer, or a move-in on the day of a move-out) make one stay. `eligibleOn` is `since`
/// plus six months (the day kept, or the month's last day). Ordered by `since`, then ID
/// number; `after` is the `next` of the previous page.
public struct PermitEligible: RegistryRequest {
    public static let method = "worklist.permitEligible"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case asOf, area, limit, after }

    public var asOf: CivilDate
    public var area: String?
    public var limit: PageLimit?
    public var after: String?

    public struct Item: Sendable {
        public var idNumber: String, name: String, unitId: String, since: CivilDate, eligibleOn: CivilDate
    }

    public struct Result: JSONRepresentable {
        public var residents: [Item]
        public var next: String?
        public var json: JSONValue {
            .object([("residents", .array(residents.map {
                .object([("idNumber", .string($0.idNumber)), ("name", .string($0.name)), ("unitId", .string($0.unitId)),
                         ("since", .string($0.since.description)), ("eligibleOn", .string($0.eligibleOn.description))])
            })), ("next", .optional(next))])
        }
    }

    /// A person living in the area on `asOf`, with the start of their stay.
    struct Candidate {
        var resident: Int64, name: String, unitId: String, since: CivilDate, index: Data, cipher: Data
    }

    public func execute(in context: OperationContext) throws -> Result {
        let limit = (limit ?? .standard).value
        let key = try context.sealingKey()
        var cursor: (since: CivilDate, resident: Int64)?
        if let after {
            let parts = after.split(separator: "|").map(String.init)
            guard parts.count == 2, let since = CivilDate(parts[0]), let resident = Int64(parts[1]) else {
                throw RegistryError.invalid("after", "is not a cursor this method gave")
            }
            cursor = (since, resident)
        }
        let record = try area.map { try AreaRecord.require(context.db, code: $0, field: "area") }
        // A large area is walked in the order stays began, stopping after the page; a small
        // one (a community, a grid) is read whole, which is fewer rows than the walk would skip.
        let large = (record.map { $0.level <= .subdistrict } ?? true)
            && (context.principal.isCountyWide || context.principal.areas.contains { $0.level <= .subdistrict })
        let candidates = try (large ? Self.walk(context, asOf: asOf, area: record, from: cursor?.since, wanted: limit + 1)
                                    : Self.stays(context, asOf: asOf, area: area))
            .filter { $0.since.adding(months: 6) <= asOf }
        // By since, then ID number: the numbers of people with the same since are opened to order them.
        let opener = Disclosure(reveal: true, key: key)
        var page: [(Candidate, String)] = []
        var hasMore = false
        var index = 0
        while index < candidates.count && !hasMore {
            var end = index
            while end < candidates.count && candidates[end].since == candidates[index].since { end += 1 }
            if let cursor, candidates[index].since < cursor.since { index = end; continue }
            var group = try candidates[index..<end].map { candidate throws(RegistryError) in
                (candidate, try opener.idNumber(cipher: candidate.cipher, index: candidate.index))
            }
            group.sort { $0.1 < $1.1 }
            if let cursor, candidates[index].since == cursor.since {
                guard let position = group.firstIndex(where: { $0.0.resident == cursor.resident }) else {
                    throw RegistryError.invalid("after", "is not a cursor this method gave")
                }
                group.removeFirst(position + 1)
            }
            for entry in group {
                if page.count == limit { hasMore = true; break }
                page.append(entry)
            }
            index = end
        }
        return Result(
            residents: page.map { candidate, number in
                Item(idNumber: IDNumber.mask(number), name: candidate.name, unitId: candidate.unitId, since: candidate.since,
                     eligibleOn: candidate.since.adding(months: 6))
            },
            next: hasMore ? page.last.map { "\($0.0.since)|\($0.0.resident)" } : nil)
    }

    /// ``stays(_:asOf:area:)`` for a large area, found in the order stays began (the index
    /// on `moved_in`): each residence that starts a stay (none of the person's residences
    /// ended the day it began) is followed forward through the residences that began the
    /// day the one before ended, to the one living on `asOf`; it counts when that one is in
    /// the area and its person a migrant there. Stops once `wanted` are found and every
    /// stay beginning the same day as the last of them is in (the page orders those by ID
    /// number).
    static func walk(_ context: OperationContext, asOf: CivilDate, area: AreaRecord?, from start: CivilDate?,
                     wanted: Int) throws -> [Candidate] {
        let db = context.db
        let latestSince = asOf.adding(months: -6).adding(days: 3)
        var found: [Candidate] = []
        // The cursor's own day is read whole (the page resumes inside it) and not counted.
        var counted = 0
        let residences = try Row.fetchCursor(db, sql: """
            SELECT x.id, x.resident, x.moved_in, x.moved_out FROM residence x
            WHERE x.moved_in >= ? AND x.moved_in <= ? ORDER BY x.moved_in, x.id
            """, arguments: [(start ?? .earliest).description, latestSince.description])
        let predecessor = try db.cachedStatement(sql: """
            SELECT 1 FROM residence WHERE resident = ? AND moved_out = ? AND moved_in <= ? AND id <> ? LIMIT 1
            """)
        let successor = try db.cachedStatement(sql: """
            SELECT id, moved_in, moved_out FROM residence WHERE resident = ? AND moved_in = ? AND id <> ?
            ORDER BY moved_out IS NULL DESC, moved_out DESC LIMIT 1
            """)
        let living = try db.cachedStatement(sql: """
            SELECT u.unit_id, u.grid, u.community, u.subdistrict, r.hukou_code, r.name, r.id_index, r.id_cipher
            FROM residence x JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident WHERE x.id = ?
            """)
        while let row = try residences.next() {
            let since = CivilDate(row[2] as String)!
            if counted >= wanted, let last = found.last, since > last.since { break }
            let resident: Int64 = row[1]
            guard try Bool.fetchOne(predecessor, arguments: [resident, row[2] as String, row[2] as String, row[0] as Int64]) != true else { continue }
            // Forward through the stay to the residence living on asOf.
            var current: (id: Int64, movedIn: String, movedOut: String?) = (row[0], row[2], row[3])
            var steps = 0
            while let out = current.movedOut, out <= asOf.description, steps < 1000 {
                guard let next = try Row.fetchOne(successor, arguments: [resident, out, current.id]) else { break }
                current = (next[0], next[1], next[2])
                steps += 1
            }
            guard current.movedIn <= asOf.description, current.movedOut.map({ $0 > asOf.description }) ?? true,
                  let place = try Row.fetchOne(living, arguments: [current.id]) else { continue }
            let (grid, community, subdistrict): (String, String, String) = (place[1], place[2], place[3])
            if let area, !AreaScope(code: area.code, level: area.level).contains(grid: grid, community: community, subdistrict: subdistrict) { continue }
            guard context.principal.contains(grid: grid, community: community, subdistrict: subdistrict),
                  context.settings.isMigrant(hukouCode: place[4], subdistrict: subdistrict) else { continue }
            found.append(Candidate(resident: resident, name: place[5], unitId: place[0], since: since, index: place[6], cipher: place[7]))
            if since != start { counted += 1 }
        }
        return found
    }

    /// The migrants living in the area (and the account's areas) on `asOf`, each with the
    /// start of their unbroken stay, ordered by it (then by resident row).
    static func stays(_ context: OperationContext, asOf: CivilDate, area: String?) throws -> [Candidate] {
        var conditions = ["x.moved_in <= ?", "(x.moved_out IS NULL OR x.moved_out > ?)"]
        var arguments: StatementArguments = [asOf.description, asOf.description]
        let place = try context.placeConditions(area: area)
        conditions += place.sql
        arguments += place.arguments
        conditions.append(context.settings.migrantSQL(hukou: "r.hukou_code", subdistrict: "u.subdistrict"))
        // Each living residence walks back through the residences that ended on the day it
        // began (the same person's, by the index on resident and move-in).
        let rows = try Row.fetchAll(context.db, sql: """
            WITH RECURSIVE living AS (
                SELECT x.resident, x.moved_in AS start, u.unit_id
                FROM residence x JOIN unit u ON u.id = x.unit JOIN resident r ON r.id = x.resident
                WHERE \(conditions.joined(separator: " AND "))
            ), stay(resident, start, unit_id) AS (
                SELECT resident, start, unit_id FROM living
                UNION
                SELECT s.resident, p.moved_in, s.unit_id FROM stay s
                JOIN residence p ON p.resident = s.resident AND p.moved_out = s.start AND p.moved_in <= s.start
            )
            SELECT s.resident, r.name, s.unit_id, min(s.start) AS since, r.id_index, r.id_cipher
            FROM stay s JOIN resident r ON r.id = s.resident
            GROUP BY s.resident ORDER BY since, s.resident
            """, arguments: arguments)
        return rows.map { Candidate(resident: $0[0], name: $0[1], unitId: $0[2], since: CivilDate($0[3] as String)!, index: $0[4], cipher: $0[5]) }
    }
}
