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

    init(row: Row) {
        id = row[0]
        idNumber = row[1]
        name = row[2]
        sex = Sex(rawValue: row[3]) ?? .male
        birthDate = CivilDate(row[4] as String)!
        hukouCode = row[5]
        phone = row[6]
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
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM resident WHERE id_number = ?"),
                         arguments: [idNumber.value])
            .map(ResidentRecord.init(row:))
    }

    static func find(_ db: Database, id: Int64) throws -> ResidentRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM resident WHERE id = ?"), arguments: [id])
            .map(ResidentRecord.init(row:))
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
        try db.cachedStatement(sql: "INSERT INTO resident (id_number, name, sex, birth_date, hukou_code, phone) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [idNumber, name, sex.rawValue, birthDate.description, hukouCode, phone])
        id = db.lastInsertedRowID
    }

    /// Writes the name, phone and hukou code.
    func updateProfile(_ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE resident SET name = ?, hukou_code = ?, phone = ? WHERE id = ?")
            .execute(arguments: [name, hukouCode, phone, id])
    }

    /// The person's open residence: its row id, unit and move-in date.
    func openResidence(_ db: Database) throws -> (id: Int64, unit: Int64, movedIn: CivilDate)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, unit, moved_in FROM residence WHERE resident = ? AND moved_out IS NULL"),
                                         arguments: [id]) else { return nil }
        return (row[0], row[1], CivilDate(row[2] as String)!)
    }

    /// The masked ID number, for output.
    var maskedIDNumber: String { IDNumber.mask(idNumber) }

    /// The ID number as output: full when `reveal`, masked otherwise.
    func shownIDNumber(reveal: Bool) -> String { reveal ? idNumber : maskedIDNumber }
}
