import GRDB

/// A row of `resident`.
///
/// The ID number and phone are sealed in the database (see ``PersonalDataCipher``): a
/// person is found by the blind index of the ID number, the phone is opened as it is
/// read, and the ID number itself is kept here only masked. This is the one place that
/// reads or writes those columns of `resident`.
struct ResidentRecord: Sendable {
    var id: Int64
    /// The masked ID number (`411525********1234`), as stored beside the sealed one.
    var maskedIDNumber: String
    var name: String
    var sex: Sex
    var birthDate: CivilDate
    var hukouCode: String
    var phone: String?

    static let columns = "id, id_masked, name, sex, birth_date, hukou_code, registry_open('\(PersonalDataCipher.Label.residentPhone)', phone_cipher)"
    private static let byIDNumber = "SELECT \(columns) FROM resident WHERE id_index = registry_blind(?)"
    private static let byId = "SELECT \(columns) FROM resident WHERE id = ?"
    private static let insertion = """
        INSERT INTO resident (id_index, id_cipher, id_masked, name, sex, birth_date, hukou_code, phone_cipher)
        VALUES (registry_blind(?1), registry_seal('\(PersonalDataCipher.Label.residentID)', ?1), registry_mask(?1), ?2, ?3, ?4, ?5,
                registry_seal('\(PersonalDataCipher.Label.residentPhone)', ?6))
        """

    init(columns c: RawStatement.Columns) {
        id = c.int64(0)
        maskedIDNumber = c.string(1)
        name = c.string(2)
        sex = Sex(rawValue: c.string(3)) ?? .male
        birthDate = c.date(4)!
        hukouCode = c.string(5)
        phone = c.text(6)
    }

    /// A person not stored yet; ``insert(_:idNumber:)`` stores them.
    init(idNumber: IDNumber, name: String, hukouCode: String, phone: String?) {
        self.id = 0
        self.maskedIDNumber = idNumber.masked
        self.name = name
        self.sex = idNumber.sex
        self.birthDate = idNumber.birthDate
        self.hukouCode = hukouCode
        self.phone = phone
    }

    static func find(_ db: Database, idNumber: IDNumber) throws -> ResidentRecord? {
        let statement = try RawStatement(db, byIDNumber)
        statement.bind(1, idNumber.value)
        return try statement.first(ResidentRecord.init(columns:))
    }

    static func find(_ db: Database, id: Int64) throws -> ResidentRecord? {
        let statement = try RawStatement(db, byId)
        statement.bind(1, id)
        return try statement.first(ResidentRecord.init(columns:))
    }

    /// The resident with this ID number, or `unknown_resident` on `field`.
    static func require(_ db: Database, idNumber: IDNumber, field: String = "idNumber") throws -> ResidentRecord {
        guard let resident = try find(db, idNumber: idNumber) else {
            throw RegistryError.notFound("unknown_resident", field: field, "\(field): nobody with ID number \(idNumber.masked) is registered")
        }
        return resident
    }

    /// Inserts a new person, sealing `idNumber` and the phone, and sets ``id``.
    mutating func insert(_ db: Database, idNumber: IDNumber) throws {
        let statement = try RawStatement(db, Self.insertion)
        statement.bind(1, idNumber.value)
        statement.bind(2, name)
        statement.bind(3, sex.rawValue)
        statement.bind(4, birthDate.description)
        statement.bind(5, hukouCode)
        statement.bind(6, phone)
        try statement.run()
        id = db.lastInsertedRowID
    }

    /// The SQL expression that opens the sealed ID number of the resident row `column`
    /// (for a reveal; it needs the key).
    static func openedIDNumber(resident column: String) -> String {
        "(SELECT registry_open('\(PersonalDataCipher.Label.residentID)', id_cipher) FROM resident WHERE id = \(column))"
    }

    /// Writes the name, phone and hukou code.
    func updateProfile(_ db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE resident SET name = ?, hukou_code = ?, phone_cipher = registry_seal('\(PersonalDataCipher.Label.residentPhone)', ?) WHERE id = ?
            """)
            .execute(arguments: [name, hukouCode, phone, id])
    }

    /// The person's open residence: its row id, unit and move-in date.
    func openResidence(_ db: Database) throws -> (id: Int64, unit: Int64, movedIn: CivilDate)? {
        let statement = try RawStatement(db, "SELECT id, unit, moved_in FROM residence WHERE resident = ? AND moved_out IS NULL")
        statement.bind(1, id)
        return try statement.first { c in (c.int64(0), c.int64(1), c.date(2)!) }
    }

}
