/// A request the registry refuses, or a failure it could not avoid.
///
/// Every refusal carries a stable ``reason`` word (scripts branch on it), the ``field`` at
/// fault when there is one, and a ``message`` for people that names the field and the
/// rule. The ``category`` says what kind of refusal it is; the core knows no protocol:
/// each front end maps the category to its own form (RegistryRPC to JSON-RPC codes, the
/// command line to exit statuses, the web service to HTTP statuses).
///
/// ```swift
/// throw RegistryError.notFound(.unknownUnit, field: "unitId", "unitId: no unit with id U9")
/// ```
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal this is.
    public enum Category: Sendable, Equatable {
        /// A missing or mistyped field, a bad ID number, a bad date, an unknown enum value.
        case invalidParams
        /// An area, unit, resident or household that does not exist.
        case notFound
        /// The request contradicts the stored state.
        case conflict
        /// Not allowed: a reveal without a purpose, a method the caller's role may not
        /// call, an object outside the caller's areas.
        case forbidden
        /// The storage failed: a disk error, a corrupt file, a newer schema, a missing key.
        case internalError
    }

    /// The stable reason words, spelt once: a typo fails to compile.
    public enum Reason: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
        /// The word itself, as messages and protocols show it.
        public var description: String { rawValue }

        case alreadyRegistered = "already_registered"
        case badCredentials = "bad_credentials"
        case lockedOut = "locked_out"
        case unknownUser = "unknown_user"
        case duplicateUser = "duplicate_user"
        case invalidPassword = "invalid_password"
        case unknownToken = "unknown_token"
        case unauthenticated = "unauthenticated"
        case accountDisabled = "account_disabled"
        case badRows = "bad_rows"
        case bulkFallback = "bulk_fallback"
        case cannotWrite = "cannot_write"
        case chainBroken = "chain_broken"
        case constraintViolated = "constraint_violated"
        case consumerAltered = "consumer_altered"
        case consumerAreaMismatch = "consumer_area_mismatch"
        case countyMismatch = "county_mismatch"
        case duplicateArea = "duplicate_area"
        case duplicateResidence = "duplicate_residence"
        case duplicateUnit = "duplicate_unit"
        /// Not a failure: how a dry-run import rolls its checks back.
        case dryRun = "dry_run"
        case exists
        case householdHasHead = "household_has_head"
        case invalidAreaCode = "invalid_area_code"
        case invalidCsv = "invalid_csv"
        case invalidDate = "invalid_date"
        case invalidEncoding = "invalid_encoding"
        case invalidHeader = "invalid_header"
        case invalidIdNumber = "invalid_id_number"
        case invalidParams = "invalid_params"
        case invalidXlsx = "invalid_xlsx"
        case keyCheckMissing = "key_check_missing"
        case keyExists = "key_exists"
        case keyFileExposed = "key_file_exposed"
        case keyFileForeign = "key_file_foreign"
        case keyMismatch = "key_mismatch"
        case keyMissing = "key_missing"
        case keyUnreadable = "key_unreadable"
        case keyUnwritable = "key_unwritable"
        case methodNotFound = "method_not_found"
        case migrationFailed = "migration_failed"
        case noDatabase = "no_database"
        case noFile = "no_file"
        case noOpenResidence = "no_open_residence"
        case notARegistry = "not_a_registry"
        case notARental = "not_a_rental"
        case notEmpty = "not_empty"
        case notInitialized = "not_initialized"
        case notLivingHere = "not_living_here"
        case openResidence = "open_residence"
        case outOfArea = "out_of_area"
        case purposeRequired = "purpose_required"
        case roleForbids = "role_forbids"
        case schemaTooNew = "schema_too_new"
        case schemaTooOld = "schema_too_old"
        case sealedValueAltered = "sealed_value_altered"
        case storageError = "storage_error"
        case storedAsNumber = "stored_as_number"
        case unitClosed = "unit_closed"
        case unitOccupied = "unit_occupied"
        case unknownArea = "unknown_area"
        case unknownHousehold = "unknown_household"
        case unknownResident = "unknown_resident"
        case unknownUnit = "unknown_unit"
        case unsafeOutput = "unsafe_output"
    }

    public var category: Category
    /// A stable snake_case word such as `invalid_id_number` or `unknown_unit`.
    public var reason: Reason
    /// The request field at fault (`idNumber`, `landlord.idNumber`), when one is.
    public var field: String?
    /// A sentence for people: which field, which rule.
    public var message: String

    public init(_ category: Category, reason: Reason, field: String? = nil, message: String) {
        self.category = category
        self.reason = reason
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(message) (\(reason.rawValue))"
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
    public static func invalid(_ field: String, _ rule: String, reason: Reason = .invalidParams) -> RegistryError {
        RegistryError(.invalidParams, reason: reason, field: field, message: "\(field): \(rule)")
    }

    public static func invalidDate(_ text: String) -> RegistryError {
        RegistryError(.invalidParams, reason: .invalidDate,
                      message: "'\(text)' is not a real date in the form YYYY-MM-DD")
    }

    public static func notFound(_ reason: Reason, field: String, _ message: String) -> RegistryError {
        RegistryError(.notFound, reason: reason, field: field, message: message)
    }

    public static func conflict(_ reason: Reason, field: String? = nil, _ message: String) -> RegistryError {
        RegistryError(.conflict, reason: reason, field: field, message: message)
    }

    public static func storage(_ message: String) -> RegistryError {
        RegistryError(.internalError, reason: .storageError, message: message)
    }
}
