
/// Turns a params object into a typed request, with errors that name the field and rule.
///
/// A field the method does not have is refused, so that a misspelt optional field is never
/// silently dropped.
enum RequestDecoding {
    /// Decodes `Request` from a params object (`nil` when the request had none).
    /// - Throws: ``RegistryError`` `invalid_params` (or the value's own reason, such as
    ///   `invalid_id_number`) naming the field.
    static func decode<Request: RegistryRequest>(_ type: Request.Type, params: JSONValue?, today: CivilDate) throws(RegistryError) -> Request {
        let object: [(String, JSONValue)]
        switch params ?? .object([]) {
        case let .object(pairs): object = pairs
        case .null: object = []
        default: throw RegistryError.invalid("params", "must be an object: params are by name only")
        }
        for (key, _) in object where Request.CodingKeys(stringValue: key) == nil {
            let known = Request.CodingKeys.allCases.map { $0.stringValue }
            let unknown = object.map { $0.0 }.filter { Request.CodingKeys(stringValue: $0) == nil }.min() ?? key
            throw RegistryError.invalid(unknown, "is not a field of \(Request.method) (its fields: \(known.joined(separator: ", ")))")
        }
        var decoder = JSONValueDecoder()
        decoder.userInfo[.registryToday] = today
        do {
            return try decoder.decode(Request.self, from: .object(object))
        } catch let error as RegistryError {
            throw error
        } catch let error as DecodingError {
            throw translate(error)
        } catch {
            throw RegistryError(.invalidParams, reason: .invalidParams, message: "params: \(error)")
        }
    }

    /// The field path of a coding path, without the leading `params`: `landlord.idNumber`.
    private static func fieldPath(_ path: [any CodingKey], appending key: (any CodingKey)? = nil) -> String {
        var keys = path
        if let key { keys.append(key) }
        if keys.first?.stringValue == "params" { keys.removeFirst() }
        return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func translate(_ error: DecodingError) -> RegistryError {
        switch error {
        case let .keyNotFound(key, context):
            let field = fieldPath(context.codingPath, appending: key)
            return .invalid(field, "is required")
        case let .valueNotFound(type, context):
            let field = fieldPath(context.codingPath)
            return .invalid(field, "must be \(describe(type)), not null")
        case let .typeMismatch(type, context):
            let field = fieldPath(context.codingPath)
            if field.isEmpty { return .invalid("params", "must be an object (params are by name)") }
            return .invalid(field, "must be \(describe(type))")
        case let .dataCorrupted(context):
            let field = fieldPath(context.codingPath)
            if let underlying = context.underlyingError as? RegistryError {
                return field.isEmpty ? underlying : underlying.blaming(field)
            }
            if field.isEmpty { return .invalid("params", context.debugDescription) }
            return .invalid(field, "has a value that does not fit: \(context.debugDescription)")
        @unknown default:
            return RegistryError(.invalidParams, reason: .invalidParams, message: "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is CivilDate.Type, is IDNumber.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        default:
            // JSONValueDecoder reports a missing object as [String: Any] and a missing array as [Any].
            if "\(type)".hasPrefix("Dictionary") { "an object" }
            else if "\(type)".hasPrefix("Array") { "an array" }
            else { "a \(type)" }
        }
    }
}
