import Foundation
import RegistryCore

/// The JSON-RPC 2.0 members of a request object, checked against the specification.
/// The params themselves are decoded later, straight into the method's typed request.
struct Envelope: Decodable {
    /// The request's id: `nil` when absent (a notification), `.null` when given as null.
    var id: JSONValue?
    /// Whether `id` is a string, a number or null, as the specification allows.
    var idIsValid = true
    var method: String?
    var paramsAreArray = false
    /// Why this is not a valid request, or `nil` when it is.
    var problem: String?

    private enum Keys: String, CodingKey { case jsonrpc, method, params, id }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if container.contains(.id) {
            let value = try container.decode(JSONValue.self, forKey: .id)
            switch value {
            case .null, .string, .int, .double: id = value
            default:
                id = .null
                idIsValid = false
                problem = "id must be a string, a number or null"
            }
        }
        let version = try container.decodeIfPresent(JSONValue.self, forKey: .jsonrpc)
        if version != .string("2.0") {
            problem = problem ?? "jsonrpc must be exactly \"2.0\""
        }
        switch try container.decodeIfPresent(JSONValue.self, forKey: .method) {
        case let .string(name)?: method = name
        case nil: problem = problem ?? "method is missing"
        default: problem = problem ?? "method must be a string"
        }
        if container.contains(.params) {
            switch try container.decode(JSONValue.self, forKey: .params) {
            case .object: break
            case .array: paramsAreArray = true
            default: problem = problem ?? "params must be an object"
            }
        }
    }
}

/// Response lines.
enum Response {
    static func result(id: JSONValue, _ result: JSONValue) -> String {
        var out = "{\"jsonrpc\":\"2.0\",\"id\":"
        JSONWriter.write(id, into: &out)
        out += ",\"result\":"
        JSONWriter.write(result, into: &out)
        out += "}"
        return out
    }

    static func error(id: JSONValue, _ error: RegistryError) -> String {
        if error.reason == "method_not_found" {
            return self.error(id: id, code: -32601, reason: error.reason, message: error.message)
        }
        return self.error(id: id, code: error.category.code, reason: error.reason, message: error.message, field: error.field)
    }

    static func error(id: JSONValue, code: Int, reason: String, message: String, field: String? = nil) -> String {
        var data: [(String, JSONValue)] = [("reason", .string(reason))]
        if let field { data.append(("field", .string(field))) }
        let value = JSONValue.object([
            ("jsonrpc", .string("2.0")), ("id", id),
            ("error", .object([("code", .int(Int64(code))), ("message", .string(message)), ("data", .object(data))])),
        ])
        return JSONWriter.string(value)
    }

    static func parseError() -> String {
        error(id: .null, code: -32700, reason: "parse_error", message: "Parse error: the line is not valid JSON")
    }
}
