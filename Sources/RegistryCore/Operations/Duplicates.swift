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

    /// The areas condition on the unit of a person's open residence, else latest.
    private func scope(_ context: OperationContext) throws -> (joins: String, sql: String, arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let area {
            let record = try AreaRecord.require(context.db, code: area, field: "area")
            let condition = record.containsCondition(alias: "u")
            conditions.append(condition.sql)
            arguments += condition.arguments
        }
        if let scope = context.principal.scopeCondition(alias: "u") {
            conditions.append(scope.sql)
            arguments += scope.arguments
        }
        return ("""
            JOIN unit u ON u.id = coalesce((SELECT o.unit FROM residence o WHERE o.resident = r.id AND o.moved_out IS NULL),
                                           (SELECT l.unit FROM residence l WHERE l.resident = r.id ORDER BY l.moved_in DESC, l.id DESC LIMIT 1))
            """, conditions.isEmpty ? "1" : conditions.joined(separator: " AND "), arguments)
    }

    private func residentPairs(_ context: OperationContext, key: RegistryKey) throws -> [Pair] {
        let scope = try scope(context)
        // Only names held by two people or more are read, and their numbers opened.
        let rows = try Row.fetchAll(context.db, sql: """
            SELECT r.id, r.name, r.sex, r.birth_date, r.id_index, r.id_cipher, u.unit_id
            FROM resident r \(scope.joins)
            WHERE r.name IN (SELECT name FROM resident GROUP BY name HAVING count(*) > 1) AND \(scope.sql)
            ORDER BY r.name, r.id
            """, arguments: scope.arguments)
        let opener = Disclosure(reveal: true, key: key)
        struct Person { var name: String, sex: String, birth: String, number: String, unitId: String }
        var byName: [String: [Person]] = [:]
        for row in rows {
            let number = try opener.idNumber(cipher: row[5] as Data, index: row[4] as Data)
            byName[row[1], default: []].append(Person(name: row[1], sex: row[2], birth: row[3], number: number, unitId: row[6]))
        }
        func side(_ person: Person) -> JSONValue {
            .object([("idNumber", .string(IDNumber.mask(person.number))), ("name", .string(person.name)),
                     ("birthDate", .string(Disclosure.maskBirthDate(person.birth))), ("unitId", .string(person.unitId))])
        }
        var pairs: [Pair] = []
        for (_, people) in byName where people.count > 1 {
            let sorted = people.sorted { $0.number < $1.number }
            for i in 0..<sorted.count {
                for j in (i + 1)..<sorted.count {
                    let (a, b) = (sorted[i], sorted[j])
                    let reason: String
                    if a.sex == b.sex && a.birth == b.birth {
                        reason = "same_name_birth"
                    } else if Self.nearNumbers(a.number, b.number) {
                        reason = "near_number"
                    } else {
                        continue
                    }
                    pairs.append(Pair(kind: "resident", reason: reason, key: "resident|\(a.number)|\(b.number)", a: side(a), b: side(b)))
                }
            }
        }
        pairs.sort { $0.key < $1.key }
        // The cursor must not carry full numbers: it is the masked pair and a digest.
        return pairs.map { pair in
            var pair = pair
            pair.key = "resident|" + Hex.string(Accounts.digest(pair.key).prefix(12))
            return pair
        }
    }

    /// Whether the first 17 characters differ in exactly one place, or by two neighbours swapped.
    static func nearNumbers(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8.prefix(17)), y = Array(b.utf8.prefix(17))
        guard x.count == 17, y.count == 17, x != y else { return false }
        let differing = (0..<17).filter { x[$0] != y[$0] }
        if differing.count == 1 { return true }
        if differing.count == 2, differing[1] == differing[0] + 1 {
            let i = differing[0]
            return x[i] == y[i + 1] && x[i + 1] == y[i]
        }
        return false
    }

    private func unitPairs(_ context: OperationContext) throws -> [Pair] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let area {
            let record = try AreaRecord.require(context.db, code: area, field: "area")
            let condition = record.containsCondition(alias: "u")
            conditions.append(condition.sql)
            arguments += condition.arguments
        }
        if let scope = context.principal.scopeCondition(alias: "u") {
            conditions.append(scope.sql)
            arguments += scope.arguments
        }
        let rows = try Row.fetchAll(context.db, sql: """
            SELECT u.unit_id, u.grid, u.address FROM unit u WHERE \(conditions.isEmpty ? "1" : conditions.joined(separator: " AND "))
            ORDER BY u.grid, u.unit_id
            """, arguments: arguments)
        var groups: [String: [(unitId: String, grid: String, address: String)]] = [:]
        for row in rows {
            let normal = Self.normalizedAddress(row[2])
            groups[(row[1] as String) + "\u{0}" + normal, default: []].append((row[0], row[1], row[2]))
        }
        var pairs: [Pair] = []
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
        return pairs.sorted { $0.key < $1.key }
    }

    /// An address compared: NFKC (full-width forms to half-width), without white space.
    static func normalizedAddress(_ address: String) -> String {
        String(address.precomposedStringWithCompatibilityMapping.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
    }
}
