import Foundation
import GRDB

/// `worklist.duplicates`: records that are probably the same person or the same unit twice.
///
/// - `resident`, `same_name_birth`: same name, sex and birth date, different numbers;
/// - `resident`, `near_number`: same name, and the first 17 characters of the two numbers
///   differ in one character or by two neighbouring characters swapped (a typing slip; the
///   check characters are not compared);
/// - `unit`, `same_address`: same grid, addresses equal after NFKC normalisation and removal
///   of white space (full-width and half-width forms alike).
///
/// Each pair once, with the first reason that fits; ordered by kind, then by `a`'s key (the
/// ID number, the unit id), `a` being the smaller. People are compared only within a name,
/// units within a grid: never every record with every other. Masked as everywhere.
public struct Duplicates: RegistryRequest {
    public static let method = "worklist.duplicates"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case area, limit, after }

    public var area: String?
    public var limit: PageLimit?
    public var after: String?

    /// One pair, with its sort key.
    struct Pair {
        var kind: String, reason: String, key: String
        var a: JSONValue, b: JSONValue
    }

    public struct Result: JSONRepresentable {
        var pairs: [Pair]
        public var next: String?
        public var json: JSONValue {
            .object([("pairs", .array(pairs.map {
                .object([("kind", .string($0.kind)), ("reason", .string($0.reason)), ("a", $0.a), ("b", $0.b)])
            })), ("next", .optional(next))])
        }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let limit = (limit ?? .standard).value
        let key = try context.sealingKey()
        let pairs = try residentPairs(context, key: key) + unitPairs(context)
        // The cursor is the position's key: kind, a's key and b's key (opaque to callers).
        let start: Int
        if let after {
            guard let position = pairs.firstIndex(where: { $0.key == after }) else {
                throw RegistryError.invalid("after", "is not a cursor this method gave")
            }
            start = position + 1
        } else {
            start = 0
        }
        let page = Array(pairs.dropFirst(start).prefix(limit))
        return Result(pairs: page, next: pairs.count > start + limit ? page.last?.key : nil)
    }

    /// The condition that a person (aliased `r`) lives, or last lived, in the asked area and
    /// the principal's areas: the unit of their open residence, else of their latest one.
    /// `1` when nothing narrows it.
    private func placeOfPerson(_ context: OperationContext) throws -> (sql: String, arguments: StatementArguments) {
        let place = try context.placeConditions(area: area)
        guard !place.sql.isEmpty else { return ("1", []) }
        return ("""
            EXISTS (SELECT 1 FROM unit u WHERE u.id = coalesce(
                (SELECT o.unit FROM residence o WHERE o.resident = r.id AND o.moved_out IS NULL),
                (SELECT l.unit FROM residence l WHERE l.resident = r.id ORDER BY l.moved_in DESC, l.id DESC LIMIT 1))
              AND \(place.sql.joined(separator: " AND ")))
            """, place.arguments)
    }

    /// People compared name by name, read in name order (the index on name) and never held
    /// all at once: within one name, numbers are compared as 17 digits. The unit shown is
    /// looked up only for the people of a pair.
    private func residentPairs(_ context: OperationContext, key: RegistryKey) throws -> [Pair] {
        let db = context.db
        let scoped = try placeOfPerson(context)
        let opener = Disclosure(reveal: true, key: key)
        struct Person { var resident: Int64, name: String, sex: String, birth: String, number: String, digits: [UInt8], index: Data, cipher: Data }
        let unitOf = try db.cachedStatement(sql: """
            SELECT coalesce((SELECT u.unit_id FROM residence o JOIN unit u ON u.id = o.unit WHERE o.resident = ? AND o.moved_out IS NULL),
                            (SELECT u.unit_id FROM residence l JOIN unit u ON u.id = l.unit WHERE l.resident = ? ORDER BY l.moved_in DESC, l.id DESC LIMIT 1))
            """)
        func side(_ person: Person) throws -> JSONValue {
            .object([("idNumber", .string(IDNumber.mask(person.number))), ("name", .string(person.name)),
                     ("birthDate", .string(Disclosure.maskBirthDate(person.birth))),
                     ("unitId", .optional(try String.fetchOne(unitOf, arguments: [person.resident, person.resident])))])
        }
        var pairs: [Pair] = []
        var group: [Person] = []
        // Within one name, candidates meet in buckets, never all against all (a common name
        // is held by thousands): by sex and birth date, and by 33 keys of the number — the 17
        // digits with one position blanked (one changed digit), and with one neighbouring
        // pair put in order (two swapped) — so only numbers one slip apart share a bucket.
        func compare() throws {
            defer { group.removeAll(keepingCapacity: true) }
            guard group.count > 1 else { return }
            // Numbers are opened only for names held by two people or more.
            for i in group.indices {
                group[i].number = try opener.idNumber(cipher: group[i].cipher, index: group[i].index)
                group[i].digits = Array(group[i].number.utf8.prefix(17))
            }
            group.sort { $0.number < $1.number }
            var found: [Int: String] = [:]   // i * count + j → reason, first reason wins
            var byBirth: [String: [Int]] = [:]
            for (index, person) in group.enumerated() { byBirth[person.sex + person.birth, default: []].append(index) }
            for members in byBirth.values where members.count > 1 {
                for x in 0..<members.count { for y in (x + 1)..<members.count { found[members[x] * group.count + members[y]] = "same_name_birth" } }
            }
            // Each person's 33 keys in one flat array, sorted: a run of equal keys is a
            // bucket (no dictionary of arrays: its allocations were a tenth of the time).
            var keyed: [(key: UInt64, index: Int)] = []
            keyed.reserveCapacity(group.count * 33)
            for (index, person) in group.enumerated() {
                for key in Self.slipKeys(person.digits) { keyed.append((key, index)) }
            }
            keyed.sort { $0.key < $1.key || ($0.key == $1.key && $0.index < $1.index) }
            var start = 0
            while start < keyed.count {
                var end = start + 1
                while end < keyed.count && keyed[end].key == keyed[start].key { end += 1 }
                if end - start > 1 {
                    for x in start..<end {
                        for y in (x + 1)..<end {
                            let (i, j) = (keyed[x].index, keyed[y].index)
                            let pair = i * group.count + j
                            if found[pair] == nil, Self.nearDigits(group[i].digits, group[j].digits) { found[pair] = "near_number" }
                        }
                    }
                }
                start = end
            }
            for (pair, reason) in found {
                let (a, b) = (group[pair / group.count], group[pair % group.count])
                pairs.append(Pair(kind: "resident", reason: reason, key: "resident|\(a.number)|\(b.number)", a: try side(a), b: try side(b)))
            }
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT r.id, r.name, r.sex, r.birth_date, r.id_index, r.id_cipher FROM resident r INDEXED BY resident_name
            WHERE \(scoped.sql) ORDER BY r.name
            """, arguments: scoped.arguments)
        while let row = try rows.next() {
            let name: String = row[1]
            if let first = group.first, first.name != name { try compare() }
            group.append(Person(resident: row[0], name: name, sex: row[2], birth: row[3], number: "", digits: [], index: row[4], cipher: row[5]))
        }
        try compare()
        pairs.sort { $0.key < $1.key }
        // The cursor must not carry full numbers: it is a digest of the pair.
        return pairs.map { pair in
            var pair = pair
            pair.key = "resident|" + Hex.string(Accounts.digest(pair.key).prefix(12))
            return pair
        }
    }

    /// The 33 bucket keys of a number's first 17 digits (ASCII): for each position, the
    /// digits with that one blanked; for each neighbouring pair, the digits with the pair in
    /// order. Two numbers one changed digit or one swap apart share a key.
    static func slipKeys(_ digits: [UInt8]) -> [UInt64] {
        guard digits.count == 17 else { return [] }
        let values = digits.map { UInt64($0 &- 0x30) }
        var number: UInt64 = 0
        for value in values { number = number * 10 + value }
        var powers = [UInt64](repeating: 1, count: 17)
        for i in stride(from: 15, through: 0, by: -1) { powers[i] = powers[i + 1] * 10 }
        let slot: UInt64 = 100_000_000_000_000_000
        var keys: [UInt64] = []
        keys.reserveCapacity(33)
        for i in 0..<17 {
            keys.append(UInt64(i) * slot + (number - values[i] * powers[i]))
        }
        for i in 0..<16 {
            let (low, high) = (min(values[i], values[i + 1]), max(values[i], values[i + 1]))
            let swapped = number - values[i] * powers[i] - values[i + 1] * powers[i + 1] + low * powers[i] + high * powers[i + 1]
            keys.append(UInt64(17 + i) * slot + swapped)
        }
        return keys
    }

    /// ``nearNumbers(_:_:)`` on the first 17 digits, as bytes.
    static func nearDigits(_ x: [UInt8], _ y: [UInt8]) -> Bool {
        guard x.count == 17, y.count == 17 else { return false }
        var first = -1, second = -1
        for i in 0..<17 where x[i] != y[i] {
            if first < 0 { first = i } else if second < 0 { second = i } else { return false }
        }
        if first < 0 { return false }
        if second < 0 { return true }
        return second == first + 1 && x[first] == y[second] && x[second] == y[first]
    }

    /// Whether the first 17 characters differ in exactly one place, or by two neighbours swapped.
    static func nearNumbers(_ a: String, _ b: String) -> Bool {
        nearDigits(Array(a.utf8.prefix(17)), Array(b.utf8.prefix(17)))
    }

    private func unitPairs(_ context: OperationContext) throws -> [Pair] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        let place = try context.placeConditions(area: area)
        conditions += place.sql
        arguments += place.arguments
        // Grid by grid, in the order of the index on grid: only one grid's units are held.
        let rows = try Row.fetchCursor(context.db, sql: """
            SELECT u.unit_id, u.grid, u.address FROM unit u INDEXED BY unit_grid WHERE \(conditions.isEmpty ? "1" : conditions.joined(separator: " AND "))
            ORDER BY u.grid
            """, arguments: arguments)
        var pairs: [Pair] = []
        var grid = ""
        var groups: [String: [(unitId: String, grid: String, address: String)]] = [:]
        func flush() {
            for (_, units) in groups where units.count > 1 {
                let sorted = units.sorted { $0.unitId < $1.unitId }
                for i in 0..<sorted.count {
                    for j in (i + 1)..<sorted.count {
                        let (a, b) = (sorted[i], sorted[j])
                        func side(_ unit: (unitId: String, grid: String, address: String)) -> JSONValue {
                            .object([("unitId", .string(unit.unitId)), ("grid", .string(unit.grid)), ("address", .string(unit.address))])
                        }
                        pairs.append(Pair(kind: "unit", reason: "same_address", key: "unit|\(a.unitId)|\(b.unitId)", a: side(a), b: side(b)))
                    }
                }
            }
            groups.removeAll(keepingCapacity: true)
        }
        while let row = try rows.next() {
            let unitGrid: String = row[1]
            if unitGrid != grid { flush(); grid = unitGrid }
            groups[Self.normalizedAddress(row[2]), default: []].append((row[0], unitGrid, row[2]))
        }
        flush()
        return pairs.sorted { $0.key < $1.key }
    }

    /// An address compared: NFKC (full-width forms to half-width), without white space.
    static func normalizedAddress(_ address: String) -> String {
        // Most addresses are CJK ideographs and ASCII letters and digits, which NFKC leaves
        // as they are: only their spaces go. Anything else (full-width forms, other
        // compatibility characters, other white space) takes the full normalisation.
        if address.unicodeScalars.allSatisfy({ ($0.value > 0x20 && $0.value < 0x7F) || (0x4E00...0x9FFF).contains($0.value) || $0.value == 0x20 }) {
            return address.contains(" ") ? address.replacingOccurrences(of: " ", with: "") : address
        }
        return String(address.precomposedStringWithCompatibilityMapping.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
    }
}
