import Foundation
import GRDB

/// A row of `resident`.
///
/// The ID number and phone are sealed in the database (see ``RegistryKey``), bound to the
/// row's blind index: a person is found by the blind index of the ID number, the phone is
/// opened as it is read, and no form of the ID number is kept here. This is the one place
/// that reads or writes those columns of `resident`. The sealing is done here in Swift,
/// bound as blobs (the registration path runs it for every request); set-based statements
/// use the same operations as SQL functions (``PersonalDataCipher``).
struct ResidentRecord: Sendable {
    var id: Int64
    /// The blind index of the ID number (16 bytes): finds the row, and binds its sealed values.
    var idIndex: Data
    var name: String
    var sex: Sex
    var birthDate: CivilDate
    var hukouCode: String
    var phone: String?

    private static let byIDNumber: StaticString = "SELECT id, id_index, name, sex, birth_date, hukou_code, phone_cipher FROM resident WHERE id_index = ?"
    /// The person's INSERT, also the bulk load's (every parameter bound each time).
    static let insertion: StaticString = """
        INSERT INTO resident (id_index, id_cipher, name, sex, birth_date, hukou_code, phone_cipher)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """

    /// A person not stored yet; ``insert(_:idNumber:)`` stores them.
    init(idNumber: IDNumber, idIndex: Data, name: String, hukouCode: String, phone: String?) {
        self.id = 0
        self.idIndex = idIndex
        self.name = name
        self.sex = idNumber.sex
        self.birthDate = idNumber.birthDate
        self.hukouCode = hukouCode
        self.phone = phone
    }

    /// The person with this ID number. `blindIndex`, when the caller has computed it
    /// already, saves computing it again.
    static func find(_ context: OperationContext, idNumber: IDNumber, blindIndex: Data? = nil) throws -> ResidentRecord? {
        let key = try context.sealingKey()
        let statement = try context.kept.statement(byIDNumber, in: context.db)
        statement.bind(1, blindIndex ?? key.blindIndex(idNumber.value))
        return try statement.first { c in
            let index = c.data(1) ?? Data()
            return ResidentRecord(id: c.int64(0), idIndex: index, name: c.string(2), sex: Sex(rawValue: c.string(3)) ?? .male,
                                  birthDate: c.date(4)!, hukouCode: c.string(5),
                                  phone: try c.data(6).flatMap { try Disclosure(reveal: true, key: key).phone(cipher: $0, binding: index) })
        }
    }

    private init(id: Int64, idIndex: Data, name: String, sex: Sex, birthDate: CivilDate, hukouCode: String, phone: String?) {
        self.id = id
        self.idIndex = idIndex
        self.name = name
        self.sex = sex
        self.birthDate = birthDate
        self.hukouCode = hukouCode
        self.phone = phone
    }

    /// The resident with this ID number, or `unknown_resident` on `field`.
    static func require(_ context: OperationContext, idNumber: IDNumber, field: String = "idNumber") throws -> ResidentRecord {
        guard let resident = try find(context, idNumber: idNumber) else {
            throw RegistryError.notFound(.unknownResident, field: field, "\(field): nobody with ID number \(idNumber.masked) is registered")
        }
        return resident
    }

    /// Inserts a new person, sealing `idNumber` and the phone, and sets ``id``.
    /// - Parameter sealed: the ID number and, when not nil, the phone already sealed under the
    ///   registry's key and bound to ``idIndex`` (``SealedIdentity``); what is missing is sealed here.
    mutating func insert(_ context: OperationContext, idNumber: IDNumber, sealed: (id: Data, phone: Data?)? = nil) throws {
        let key = try context.sealingKey()
        let statement = try context.kept.statement(Self.insertion, in: context.db)
        statement.bind(1, idIndex)
        statement.bind(2, try sealed?.id ?? key.seal(idNumber.value, label: PersonalDataCipher.Label.residentID, boundTo: idIndex))
        statement.bind(3, name)
        statement.bind(4, sex.rawValue)
        statement.bind(5, birthDate.description)
        statement.bind(6, hukouCode)
        statement.bind(7, try phone.map { try sealed?.phone ?? key.seal($0, label: PersonalDataCipher.Label.residentPhone, boundTo: idIndex) })
        try statement.run()
        id = context.db.lastInsertedRowID
    }

    /// Writes the name, phone (sealed) and hukou code.
    func updateProfile(_ context: OperationContext) throws {
        let key = try context.sealingKey()
        try context.db.cachedStatement(sql: "UPDATE resident SET name = ?, hukou_code = ?, phone_cipher = ? WHERE id = ?")
            .execute(arguments: [name, hukouCode, try phone.map { try key.seal($0, label: PersonalDataCipher.Label.residentPhone, boundTo: idIndex) }, id])
    }

    /// The person's open residence: its row id, unit and move-in date.
    func openResidence(_ db: Database) throws -> (id: Int64, unit: Int64, movedIn: CivilDate)? {
        let statement = try RawStatement(db, "SELECT id, unit, moved_in FROM residence WHERE resident = ? AND moved_out IS NULL")
        statement.bind(1, id)
        return try statement.first { c in (c.int64(0), c.int64(1), c.date(2)!) }
    }

}
