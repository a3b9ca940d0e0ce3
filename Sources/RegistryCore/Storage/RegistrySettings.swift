/// What a database was created for: its county and how it decides who is a migrant.
public struct RegistrySettings: Sendable, Equatable {
    /// The county's 6-digit division code (固始县: 411525).
    public var countyCode: String
    public var countyName: String
    public var migrantScope: MigrantScope

    public init(countyCode: String, countyName: String, migrantScope: MigrantScope = .county) {
        self.countyCode = countyCode
        self.countyName = countyName
        self.migrantScope = migrantScope
    }

    /// Whether a person with `hukouCode` living in `subdistrict` is a migrant here.
    public func isMigrant(hukouCode: String, subdistrict: String) -> Bool {
        migrantScope.isMigrant(hukouCode: hukouCode, subdistrict: subdistrict, county: countyCode)
    }

    /// The migrant rule as SQL over the given column expressions (see ``MigrantScope``).
    public func migrantSQL(hukou: String, subdistrict: String) -> String {
        migrantScope.sqlExpression(hukou: hukou, subdistrict: subdistrict, county: "'\(countyCode)'")
    }
}
