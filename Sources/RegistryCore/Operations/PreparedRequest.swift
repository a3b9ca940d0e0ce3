/// A request decoded and checked ahead of its transaction, ready to run.
///
/// Decoding needs no database, so the JSON-RPC server prepares requests on its reading
/// thread while the previous group's transaction runs on another: parsing and SQLite
/// overlap on two cores. What runs later is the same core operation as any other call.
public struct PreparedRequest: Sendable {
    /// The method it came from.
    public let method: String
    /// Whether it writes nothing, so that it may run on a reader connection.
    public let isReadOnly: Bool
    private let body: @Sendable (Registry.Group) -> Result<JSONValue, RegistryError>

    /// Decodes `params` for `method`.
    /// - Returns: the prepared request, or the refusal: an unknown method (reason
    ///   `method_not_found`) or invalid params, found without touching the database.
    /// - Parameter registry: the registry the request will run in, when the caller prepares
    ///   on a thread of its own: then what a request can seal without the database (a new
    ///   person's ID number and phone) is sealed here, off the writing thread
    ///   (``SealsAhead``).
    public static func prepare(method: String, params: JSONValue?, today: CivilDate = .today(),
                               sealingFor registry: Registry? = nil) -> Result<PreparedRequest, RegistryError> {
        guard let type = Methods.named(method) else {
            return .failure(RegistryError(.invalidParams, reason: .methodNotFound, message: "no method named '\(method)'"))
        }
        return prepare(type, method: method, params: params, today: today, key: registry?.key)
    }

    private static func prepare<Request: RegistryRequest>(_ type: Request.Type, method: String, params: JSONValue?,
                                                          today: CivilDate, key: RegistryKey?) -> Result<PreparedRequest, RegistryError> {
        do {
            var request = try RequestDecoding.decode(type, params: params, today: today)
            if let key, var sealing = request as? any SealsAhead {
                sealing.sealAhead(with: key)
                if let sealed = sealing as? Request { request = sealed }
            }
            let ready = request
            return .success(PreparedRequest(method: method, isReadOnly: ready.isReadOnly) { group in group.perform(ready).map { $0.json } })
        } catch {
            return .failure(error)
        }
    }

    /// Runs the request in `group`'s transaction.
    public func run(in group: Registry.Group) -> Result<JSONValue, RegistryError> {
        body(group)
    }
}
