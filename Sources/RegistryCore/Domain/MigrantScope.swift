/// How a database decides who is a migrant (流动人口), chosen once at `init`.
public enum MigrantScope: String, ContractEnum {
    /// The hukou code's first 6 digits differ from the home county's code.
    case county
    /// The hukou code does not start with the code of the subdistrict the person lives in
    /// (人户分离 counts too). A 6-digit hukou code carries no township and is judged as under `county`.
    case subdistrict

    /// Whether a person with `hukouCode`, living in `subdistrict`, is a migrant.
    ///
    /// This is the one Swift statement of the rule; ``sqlExpression(hukou:subdistrict:county:)``
    /// states it for queries, and a test holds the two to the same answers.
    public func isMigrant(hukouCode: String, subdistrict: String, county: String) -> Bool {
        isMigrant(hukouCode: hukouCode.utf8, subdistrict: subdistrict.utf8, county: county.utf8)
    }

    /// The rule over the codes' bytes (codes are ASCII digits: bytes, not Unicode
    /// characters, are compared), for a pass that reads them from SQLite's buffers.
    func isMigrant<Hukou: Collection<UInt8>, Code: Sequence<UInt8>>(hukouCode: Hukou, subdistrict: Code, county: Code) -> Bool {
        switch self {
        case .subdistrict where hukouCode.count > 6:
            return !hukouCode.starts(with: subdistrict)
        default:
            return !hukouCode.starts(with: county)
        }
    }

    /// An SQL expression, 1 for a migrant and 0 otherwise, over the given column expressions.
    /// `county` must be a literal or a bound parameter.
    public func sqlExpression(hukou: String, subdistrict: String, county: String) -> String {
        switch self {
        case .county:
            return "(substr(\(hukou), 1, 6) <> \(county))"
        case .subdistrict:
            return "(CASE WHEN length(\(hukou)) = 6 THEN \(hukou) <> \(county) "
                + "ELSE substr(\(hukou), 1, length(\(subdistrict))) <> \(subdistrict) END)"
        }
    }
}
