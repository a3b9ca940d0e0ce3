/// An enumerated value of the contract (`level`, `kind`, `relation`, `step`…), spelled
/// exactly as its raw value. Decoding an unknown value fails with a message listing the
/// accepted ones, blamed on the field it came from.
public protocol ContractEnum: RawRepresentable<String>, CaseIterable, Sendable, Codable, Hashable {}

extension ContractEnum {
    /// The accepted spellings, for messages: `subdistrict, community, grid`.
    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Parses `text`, or throws `invalid_params` on `field` listing the accepted values.
    public static func parse(_ text: String, field: String) throws(RegistryError) -> Self {
        guard let value = Self(rawValue: text) else {
            throw RegistryError.invalid(field, "'\(text)' is not one of \(spellings)")
        }
        return value
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "'\(text)' is not one of \(Self.spellings)",
                underlyingError: RegistryError(.invalidParams, reason: .invalidParams,
                                               message: "'\(text)' is not one of \(Self.spellings)")))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A level of the place hierarchy, from the top.
public enum AreaLevel: String, ContractEnum, Comparable {
    case county, subdistrict, community, grid

    /// The level directly above, `nil` for the county.
    public var parentLevel: AreaLevel? {
        switch self {
        case .county: nil
        case .subdistrict: .county
        case .community: .subdistrict
        case .grid: .community
        }
    }

    /// The depth from the county (0) down to the grid (3).
    public var depth: Int { AreaLevel.allCases.firstIndex(of: self)! }

    public static func < (lhs: AreaLevel, rhs: AreaLevel) -> Bool { lhs.depth < rhs.depth }
}

/// What kind of home a unit is.
public enum UnitKind: String, ContractEnum {
    /// 出租屋: let to tenants; counted by the registration rate.
    case rental
    /// Owner-occupied.
    case owner
}

/// The status of a unit, derived from its kind and dates.
public enum UnitStatus: String, ContractEnum {
    case unregistered, registered, closed, owner
}

/// A member's relation to the head of a household.
public enum Relation: String, ContractEnum {
    case head, spouse, child, parent, grandparent, grandchild, sibling, other
}

/// The spacing of `metrics.trend` points.
public enum TrendStep: String, ContractEnum {
    case week, month
}

/// The audit actions: an `export` (revealed or not), or a `reveal` of full ID numbers by any other request.
public enum AuditAction: String, ContractEnum {
    case reveal, export
    /// An export whose output could not be completed after its `export` entry was committed.
    case exportFailed = "export_failed"
    /// A copy of the database (`registry backup`).
    case backup
    case userChange = "user_change", tokenChange = "token_change", login, loginFailed = "login_failed"
}
