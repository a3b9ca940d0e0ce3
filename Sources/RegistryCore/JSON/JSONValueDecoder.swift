/// Decodes `Decodable` types from a ``JSONValue`` already parsed by ``JSONParser``, so that
/// a request line is parsed once however many types are read from it.
///
/// It follows `JSONDecoder`'s conventions where they matter to requests: a missing key is
/// `keyNotFound`, a `null` for a non-optional value `valueNotFound`, a wrong type
/// `typeMismatch` (an integer is not read from `1.5`, nor a string from a number), each
/// with the coding path that names the field.
public struct JSONValueDecoder {
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try T(from: ValueDecoder(value: value, path: nil, userInfo: userInfo))
    }
}

/// A coding path as a linked list: extended for every field, made into an array only for errors.
private final class PathNode {
    let key: any CodingKey
    let parent: PathNode?
    init(key: any CodingKey, parent: PathNode?) {
        self.key = key
        self.parent = parent
    }

    static func array(_ node: PathNode?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var current = node
        while let node = current {
            keys.append(node.key)
            current = node.parent
        }
        return keys.reversed()
    }
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let path: PathNode?
    let userInfoStorage: [CodingUserInfoKey: any Sendable]
    var userInfo: [CodingUserInfoKey: Any] { userInfoStorage }
    var codingPath: [any CodingKey] { PathNode.array(path) }

    init(value: JSONValue, path: PathNode?, userInfo: [CodingUserInfoKey: any Sendable]) {
        self.value = value
        self.path = path
        self.userInfoStorage = userInfo
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case let .object(pairs) = value else {
            throw DecodingError.typeMismatch([String: Any].self, .init(codingPath: codingPath, debugDescription: "expected an object"))
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(pairs: pairs, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case let .array(items) = value else {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "expected an array"))
        }
        return UnkeyedContainer(items: items, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, decoder: self)
    }

    func child(_ value: JSONValue, key: any CodingKey) -> ValueDecoder {
        ValueDecoder(value: value, path: PathNode(key: key, parent: path), userInfo: userInfoStorage)
    }

    /// The coding path of a child, for errors only.
    func path(appending key: any CodingKey) -> [any CodingKey] {
        codingPath + [key]
    }
}

/// Reads scalars out of a value, with `JSONDecoder`'s errors.
private enum Scalars {
    static func mismatch<T>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        if value == .null {
            return .valueNotFound(type, .init(codingPath: path, debugDescription: "found null"))
        }
        return .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type)"))
    }

    static func bool(_ value: JSONValue, _ path: [any CodingKey]) throws -> Bool {
        guard case let .bool(b) = value else { throw mismatch(Bool.self, value, path) }
        return b
    }

    static func string(_ value: JSONValue, _ path: [any CodingKey]) throws -> String {
        guard case let .string(s) = value else { throw mismatch(String.self, value, path) }
        return s
    }

    static func double(_ value: JSONValue, _ path: [any CodingKey]) throws -> Double {
        switch value {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: throw mismatch(Double.self, value, path)
        }
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
        switch value {
        case let .int(i):
            guard let exact = T(exactly: i) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(i) does not fit \(type)"))
            }
            return exact
        case let .double(d):
            guard d.isFinite, d == d.rounded(), let exact = T(exactly: d) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(d) is not a whole number that fits \(type)"))
            }
            return exact
        default:
            throw mismatch(type, value, path)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ decoder: ValueDecoder) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        return try T(from: decoder)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let pairs: [(String, JSONValue)]
    let decoder: ValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { pairs.compactMap { Key(stringValue: $0.0) } }

    func contains(_ key: Key) -> Bool { pairs.contains { $0.0 == key.stringValue } }

    private func value(_ key: Key) throws -> JSONValue {
        guard let pair = pairs.first(where: { $0.0 == key.stringValue }) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for \(key.stringValue)"))
        }
        return pair.1
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key) == .null }

    private func present(_ key: Key) -> JSONValue? {
        guard let pair = pairs.first(where: { $0.0 == key.stringValue }), pair.1 != .null else { return nil }
        return pair.1
    }

    private func path(_ key: Key) -> [any CodingKey] { decoder.path(appending: key) }

    func decode(_ type: String.Type, forKey key: Key) throws -> String { try Scalars.string(try value(key), path(key)) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try Scalars.bool(try value(key), path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try Scalars.double(try value(key), path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try Scalars.integer(type, try value(key), path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try Scalars.integer(type, try value(key), path(key)) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(key).map { try Scalars.string($0, path(key)) } }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(key).map { try Scalars.bool($0, path(key)) } }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(key).map { try Scalars.double($0, path(key)) } }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(key).map { try Scalars.integer(type, $0, path(key)) } }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(key).map { try Scalars.integer(type, $0, path(key)) } }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let item = try value(key)
        return try Scalars.decode(type, item, decoder.child(item, key: key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let item = present(key) else { return nil }
        return try Scalars.decode(type, item, decoder.child(item, key: key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.child(try value(key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(try value(key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder.child(try value(key), key: key) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let decoder: ValueDecoder
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(items: [JSONValue], decoder: ValueDecoder) {
        self.items = items
        self.decoder = decoder
    }

    private mutating func next() throws -> (JSONValue, ValueDecoder) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "the array has no more items"))
        }
        let item = items[currentIndex]
        let child = decoder.child(item, key: AnyCodingKey(intValue: currentIndex)!)
        currentIndex += 1
        return (item, child)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (item, child) = try next()
        return try Scalars.decode(type, item, child)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().1.container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next().1.unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next().1 }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let decoder: ValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try Scalars.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try Scalars.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try Scalars.double(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try Scalars.double(value, codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Scalars.integer(type, value, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Scalars.integer(type, value, codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try Scalars.decode(type, value, decoder) }
}
