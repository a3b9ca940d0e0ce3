import RegistryCore

/// The JSON-RPC 2.0 members of a request object, checked against the specification.
struct Envelope {
    /// The request's id: `nil` when absent (a notification), `.null` when given as null.
    var id: JSONValue?
    /// Whether `id` is a string, a number or null, as the specification allows.
    var idIsValid = true
    var method: String?
    /// The params, `nil` when absent. An array is passed on, for the method to refuse as
    /// invalid params (-32602): params are by name only.
    var params: JSONValue?
    /// Why this is not a valid request, or `nil` when it is.
    var problem: String?

    init(_ value: JSONValue) {
        guard case let .object(pairs) = value else {
            idIsValid = false
            problem = "a request must be a JSON object"
            return
        }
        var version: JSONValue?
        var methodValue: JSONValue?
        for (key, member) in pairs {
            switch key {
            case "jsonrpc": version = member
            case "method": methodValue = member
            case "id": id = member
            case "params": params = member
            default: break
            }
        }
        if let given = id {
            switch given {
            case .null, .string, .int: break
            case let .double(d) where d.isFinite: break
            default:
                id = .null
                idIsValid = false
                problem = "id must be a string, a number or null"
            }
        }
        if version != .string("2.0") {
            problem = problem ?? "jsonrpc must be exactly \"2.0\""
        }
        switch methodValue {
        case let .string(name)?: method = name
        case nil: problem = problem ?? "method is missing"
        default: problem = problem ?? "method must be a string"
        }
        switch params {
        case nil, .object?, .array?: break
        default: problem = problem ?? "params must be an object"
        }
    }
}

/// Response lines.
enum Response {
    static func result(id: JSONValue, _ result: JSONValue) -> String {
        var out = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
        out.reserveCapacity(256)
        JSONWriter.write(id, into: &out)
        out.append(contentsOf: #","result":"#.utf8)
        JSONWriter.write(result, into: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func error(id: JSONValue, _ error: RegistryError) -> String {
        if error.reason == .methodNotFound {
            return self.error(id: id, code: -32601, reason: error.reason.rawValue, message: error.message)
        }
        return self.error(id: id, code: error.jsonRPCCode, reason: error.reason.rawValue, message: error.message, field: error.field)
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

    static func parseError(_ failure: JSONParser.Failure) -> String {
        error(id: .null, code: -32700, reason: "parse_error", message: "Parse error: the line is not valid JSON (\(failure))")
    }
}

extension RegistryError {
    /// The JSON-RPC error code of a refusal: the protocol's own for invalid params and
    /// internal errors, the contract's for the rest.
    ///
    /// | category | code |
    /// |---|---|
    /// | invalid params | -32602 |
    /// | not found | -32004 |
    /// | conflict | -32009 |
    /// | forbidden (no purpose, the role forbids, out of area) | -32010 |
    /// | internal error (storage, key) | -32603 |
    public var jsonRPCCode: Int {
        switch category {
        case .invalidParams: -32602
        case .notFound: -32004
        case .conflict: -32009
        case .forbidden: -32010
        case .internalError: -32603
        }
    }
}
