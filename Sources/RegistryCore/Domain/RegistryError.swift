/// A request the registry refuses, or a failure it could not avoid.
///
/// Every refusal carries a stable snake_case ``reason`` (scripts branch on it), the
/// ``field`` at fault when there is one, and a ``message`` for people that names the
/// field and the rule. The ``category`` decides the JSON-RPC error code and is the same
/// for the command line and the JSON-RPC server.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal this is; each maps to one JSON-RPC error code.
    public enum Category: Sendable, Equatable {
        /// A missing or mistyped field, a bad ID number, a bad date, an unknown enum value (-32602).
        case invalidParams
        /// An area, unit, resident or household that does not exist (-32004).
        case notFound
        /// The request contradicts the stored state (-32009).
        case conflict
        /// A reveal without a purpose (-32010).
        case forbidden
        /// The storage failed: a disk error, a corrupt file, a newer schema (-32603).
        case internalError

        /// The JSON-RPC error code of this category.
        public var code: Int {
            switch self {
            case .invalidParams: -32602
            case .notFound: -32004
            case .conflict: -32009
            case .forbidden: -32010
            case .internalError: -32603
            }
        }
    }

    public var category: Category
    /// A stable snake_case word such as `invalid_id_number` or `unknown_unit`.
    public var reason: String
    /// The request field at fault (`idNumber`, `landlord.idNumber`), when one is.
    public var field: String?
    /// A sentence for people: which field, which rule.
    public var message: String

    public init(_ category: Category, reason: String, field: String? = nil, message: String) {
        self.category = category
        self.reason = reason
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(message) (\(reason))"
    }

    /// The same error, blamed on `field` (used when a value's own check does not know its field).
    public func blaming(_ field: String) -> RegistryError {
        var copy = self
        copy.field = field
        if !copy.message.hasPrefix(field) { copy.message = "\(field): \(copy.message)" }
        return copy
    }
}

extension RegistryError {
    public static func invalid(_ field: String, _ rule: String, reason: String = "invalid_params") -> RegistryError {
        RegistryError(.invalidParams, reason: reason, field: field, message: "\(field): \(rule)")
    }

    public static func invalidDate(_ text: String) -> RegistryError {
        RegistryError(.invalidParams, reason: "invalid_date",
                      message: "'\(text)' is not a real date in the form YYYY-MM-DD")
    }

    public static func notFound(_ reason: String, field: String, _ message: String) -> RegistryError {
        RegistryError(.notFound, reason: reason, field: field, message: message)
    }

    public static func conflict(_ reason: String, field: String? = nil, _ message: String) -> RegistryError {
        RegistryError(.conflict, reason: reason, field: field, message: message)
    }

    public static func storage(_ message: String) -> RegistryError {
        RegistryError(.internalError, reason: "storage_error", message: message)
    }
}
