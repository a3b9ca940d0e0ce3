import Foundation

/// Turns a params object into a typed request, with errors that name the field and rule.
///
/// Requests arrive as JSON text holding an object with a `params` member (a whole
/// JSON-RPC request line, or the `{"params": …}` that the command line builds), so the
/// server decodes each line without copying its params out first.
enum RequestDecoding {
    private struct Envelope<Request: RegistryRequest>: Decodable {
        let request: Request

        enum Keys: String, CodingKey { case params }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            if try !container.contains(.params) || container.decodeNil(forKey: .params) {
                let empty = try JSONDecoder().decode(Envelope<Request>.self, from: Data(#"{"params":{}}"#.utf8))
                request = empty.request
                return
            }
            let params = try container.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .params)
            let known = Set(Request.CodingKeys.allCases.map(\.stringValue))
            if let unknown = params.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
                throw RegistryError.invalid(unknown, "is not a field of \(Request.method) (its fields: \(Request.CodingKeys.allCases.map(\.stringValue).joined(separator: ", ")))")
            }
            request = try container.decode(Request.self, forKey: .params)
        }
    }

    /// Decodes `Request` from the `params` member of the JSON object in `data`.
    /// - Throws: ``RegistryError`` `invalid_params` (or the value's own reason, such as
    ///   `invalid_id_number`) naming the field.
    static func decode<Request: RegistryRequest>(_ type: Request.Type, from data: Data, today: CivilDate) throws(RegistryError) -> Request {
        let decoder = JSONDecoder()
        decoder.userInfo[.registryToday] = today
        do {
            return try decoder.decode(Envelope<Request>.self, from: data).request
        } catch let error as RegistryError {
            throw error
        } catch let error as DecodingError {
            throw translate(error)
        } catch {
            throw RegistryError(.invalidParams, reason: "invalid_params", message: "params: \(error)")
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
            return RegistryError(.invalidParams, reason: "invalid_params", message: "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is CivilDate.Type, is IDNumber.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        default:
            if "\(type)".hasPrefix("Dictionary") || "\(type)".contains("Landlord") { "an object" }
            else if "\(type)".hasPrefix("Array") { "an array" }
            else { "a \(type)" }
        }
    }
}
