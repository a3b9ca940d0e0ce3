import GRDB

/// `area.add`: adds a subdistrict, community or grid under its parent.
///
/// The code must start with the parent's code and be longer, and the level must be the
/// one directly under the parent's (-32602 `invalid_area_code`); an unknown parent is
/// -32004 `unknown_area`, an existing code -32009 `duplicate_area`. Writes no ledger event.
public struct AddArea: RegistryRequest {
    public static let method = "area.add"
    public enum CodingKeys: String, CodingKey, CaseIterable { case code, name, level, parent }

    public var code: String
    public var name: String
    public var level: AreaLevel
    public var parent: String

    public struct Result: JSONRepresentable {
        public var code: String
        public var json: JSONValue { .object([("code", .string(code))]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let code = try TextRules.areaCode(code, field: "code")
        let name = try TextRules.text(name, field: "name")
        guard level != .county else {
            throw RegistryError.invalid("level", "must be one of subdistrict, community, grid (the county is made by init)")
        }
        let parentArea = try AreaRecord.require(context.db, code: parent, field: "parent")
        guard parentArea.level == level.parentLevel else {
            throw RegistryError.invalid("parent", "a \(level.rawValue) must be under a \(level.parentLevel!.rawValue), and \(parent) is a \(parentArea.level.rawValue)",
                                        reason: .invalidAreaCode)
        }
        guard code.count > parent.count, code.hasPrefix(parent) else {
            throw RegistryError.invalid("code", "must start with its parent's code \(parent) and be longer",
                                        reason: .invalidAreaCode)
        }
        if try AreaRecord.find(context.db, code: code) != nil {
            throw RegistryError.conflict(.duplicateArea, field: "code", "code: an area with code \(code) already exists")
        }
        let subdistrict = level == .subdistrict ? code : parentArea.subdistrict
        let community = level == .community ? code : (level == .grid ? parentArea.code : nil)
        try context.db.cachedExecute(sql: "INSERT INTO area (code, name, level, parent, subdistrict, community) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [code, name, level.rawValue, parent, subdistrict, community])
        return Result(code: code)
    }
}

/// `area.list`: every area (the county included), or the areas directly under `parent`.
public struct ListAreas: RegistryRequest {
    public static let method = "area.list"
    public var isReadOnly: Bool { true }
    public enum CodingKeys: String, CodingKey, CaseIterable { case parent }

    public var parent: String?

    public struct Item: JSONRepresentable {
        public var code: String
        public var name: String
        public var level: AreaLevel
        public var parent: String?
        public var json: JSONValue {
            .object([("code", .string(code)), ("name", .string(name)), ("level", .string(level.rawValue)), ("parent", .optional(parent))])
        }
    }

    public struct Result: JSONRepresentable {
        public var areas: [Item]
        public var json: JSONValue { .object([("areas", areas.json)]) }
    }

    public func execute(in context: OperationContext) throws -> Result {
        let rows: [Row]
        if let parent {
            _ = try AreaRecord.require(context.db, code: parent, field: "parent")
            rows = try context.db.cachedRows(sql: "SELECT code, name, level, parent FROM area WHERE parent = ? ORDER BY code", arguments: [parent])
        } else {
            rows = try context.db.cachedRows(sql: "SELECT code, name, level, parent FROM area ORDER BY length(code) > 6, code")
        }
        return Result(areas: rows.map { Item(code: $0[0], name: $0[1], level: AreaLevel(rawValue: $0[2]) ?? .grid, parent: $0[3]) })
    }
}
