import GRDB

/// A row of `resident`.
///
/// The ID number is read and written only here (``find(_:idNumber:)``, ``insert(_:)``):
/// the one column access path, so that storing it encrypted later changes one file.
struct ResidentRecord: Sendable {
    var id: Int64
    var idNumber: String
    var name: String
    var sex: Sex
    var birthDate: CivilDate
    var hukouCode: String
    var phone: String?

    static let columns = "id, id_number, name, sex, birth_date, hukou_code, phone"
    private static let byIDNumber = "SELECT \(columns) FROM resident WHERE id_number = ?"
    private static let byId = "SELECT \(columns) FROM resident WHERE id = ?"

    init(columns c: RawStatement.Columns) {
        id = c.int64(0)
        idNumber = c.string(1)
        name = c.string(2)
        sex = Sex(rawValue: c.string(3)) ?? .male
        birthDate = c.date(4)!
        hukouCode = c.string(5)
        phone = c.text(6)
    }

    init(id: Int64 = 0, idNumber: IDNumber, name: String, hukouCode: String, phone: String?) {
        self.id = id
        self.idNumber = idNumber.value
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

    /// Inserts a new person and sets ``id``.
    mutating func insert(_ db: Database) throws {
        let statement = try RawStatement(db, "INSERT INTO resident (id_number, name, sex, birth_date, hukou_code, phone) VALUES (?, ?, ?, ?, ?, ?)")
        statement.bind(1, idNumber)
        statement.bind(2, name)
        statement.bind(3, sex.rawValue)
        statement.bind(4, birthDate.description)
        statement.bind(5, hukouCode)
        statement.bind(6, phone)
        try statement.run()
        id = db.lastInsertedRowID
    }

    /// Writes the name, phone and hukou code.
    func updateProfile(_ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE resident SET name = ?, hukou_code = ?, phone = ? WHERE id = ?")
            .execute(arguments: [name, hukouCode, phone, id])
    }

    /// The person's open residence: its row id, unit and move-in date.
    func openResidence(_ db: Database) throws -> (id: Int64, unit: Int64, movedIn: CivilDate)? {
        let statement = try RawStatement(db, "SELECT id, unit, moved_in FROM residence WHERE resident = ? AND moved_out IS NULL")
        statement.bind(1, id)
        return try statement.first { c in (c.int64(0), c.int64(1), c.date(2)!) }
    }

    /// The masked ID number, for output.
    var maskedIDNumber: String { IDNumber.mask(idNumber) }

    /// The ID number as output: full when `reveal`, masked otherwise.
    func shownIDNumber(reveal: Bool) -> String { reveal ? idNumber : maskedIDNumber }
}
