import GRDB

/// One operation of the contract: a typed request (decoded from the method's params) and
/// its typed result.
///
/// The command line and the JSON-RPC server both reach every operation through
/// ``Registry/perform(method:params:operator:)``, which decodes the request, runs
/// ``execute(in:)`` in one transaction and returns ``Result/json``. Business rules live in
/// `execute` and nowhere else.
public protocol RegistryRequest: Decodable, Sendable {
    associatedtype Result: JSONRepresentable
    /// The params' field names, exactly as the contract spells them. A params object with
    /// any other field is refused, so that a misspelt optional field is not silently lost.
    associatedtype CodingKeys: CodingKey & CaseIterable

    /// The JSON-RPC method name, such as `unit.add`.
    static var method: String { get }

    /// Whether the request writes nothing (no change, no event, no audit entry): then it
    /// may run on a reader connection, beside the writer. A reveal writes its audit entry.
    var isReadOnly: Bool { get }

    /// Runs the operation. Called inside a transaction (or savepoint) that is rolled back
    /// when this throws, so a refused request changes nothing.
    func execute(in context: OperationContext) throws -> Result

    /// Whether the request may leave its population shares pending until the group's
    /// commit (``PendingShares``): true only for a request that adds shares and nothing
    /// else, or flushes them itself before doing more (a registration). A static
    /// requirement rather than a marker protocol: asking costs no dynamic cast per request.
    static var leavesSharesPending: Bool { get }
}

extension RegistryRequest {
    public var isReadOnly: Bool { false }
    public static var leavesSharesPending: Bool { false }
}

/// What an operation runs with: the open transaction and who is acting, when.
public struct OperationContext {
    /// The connection, inside the request's transaction or savepoint.
    public let db: Database
    public let settings: RegistrySettings
    /// Who acts: role and areas, checked by the operation for the objects it touches.
    public let principal: Principal
    /// Who acts (`--operator`, `REGISTRY_OPERATOR`, the signed-in username), recorded on
    /// every event and audit entry.
    public var actor: String { principal.username }
    /// The local date, for ID-number birth-date checks.
    public let today: CivilDate
    /// When the request runs (RFC 3339, UTC), for `recorded_at` and audit `at`.
    public let now: String
    /// The ends of the hash chains as this transaction left them.
    let chainTips: HashChain.Tips
    /// The transaction's statements run for every request or row (``KeptStatements``).
    let kept: KeptStatements
    /// The unit the transaction's last registration found (``UnitMemo``): registrations only.
    let unitMemo: UnitMemo
    /// The latest month taken, read once per transaction.
    let monthsTaken: PopulationMonths.Taken
    /// The group's `population` shares not written yet (``PendingShares``).
    let pendingShares: PendingShares
    /// Whether the population is counted again before the commit (a first load,
    /// ``SuspendedPopulationCounts``): a new residence then adds no counts of its own.
    let populationSuspended: Bool
    /// The registry's key, `nil` when its key file is missing.
    let key: RegistryKey?
    /// Where the key file was looked for, to name it when it is missing.
    let keyFile: String

    /// The key, or `key_missing` naming the key file.
    func sealingKey() throws(RegistryError) -> RegistryKey {
        guard let key else {
            throw RegistryError(.internalError, reason: .keyMissing, field: "keyFile",
                                message: "this needs the registry's key, and there is no key file at \(keyFile): name it with --key-file or REGISTRY_KEY_FILE")
        }
        return key
    }
}

/// Every operation of the contract, by method name.
public enum Methods {
    public static let all: [any RegistryRequest.Type] = [
        AddArea.self, ListAreas.self,
        AddUnit.self, RegisterUnit.self, CloseUnit.self, GetUnit.self,
        CreateHousehold.self, GetHousehold.self,
        RegisterResident.self, MoveOutResident.self, GetResident.self, FindResidents.self,
        RegistrationRate.self, RegistrationTrend.self, Demographics.self,
        LedgerEvents.self, LedgerRoster.self, ListAudit.self,
        UnregisteredUnits.self, PermitEligible.self, Duplicates.self, Timeliness.self, LedgerDiff.self,
    ]

    private static let byName: [String: any RegistryRequest.Type] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.method, $0) })

    /// The operation named `method`, or `nil` for an unknown method.
    public static func named(_ method: String) -> (any RegistryRequest.Type)? {
        byName[method]
    }
}
