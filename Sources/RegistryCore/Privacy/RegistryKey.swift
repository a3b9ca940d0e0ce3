import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The secret that protects the personal data of one registry: a 256-bit master key kept
/// in a key file apart from the database.
///
/// The file holds one line, `registry-key-v1 <64 hex digits>`, and must be readable by its
/// owner only (mode 0600): a key file that others can read is refused. Two keys are
/// derived from the master key with HKDF-SHA256, so that neither use weakens the other:
/// - the **sealing key** (AES-256-GCM) encrypts ID numbers and phone numbers;
/// - the **index key** (HMAC-SHA256) computes the blind index that finds a person by ID
///   number and keeps ID numbers unique without storing them in the clear;
/// - the **chain key** (HMAC-SHA256) links the ledger's and the audit trail's hash chains,
///   so that nobody without the key can compute a chain again over edited rows.
///
/// The database stores a check value (``checkValue``) so that opening it with another
/// registry's key is refused instead of silently finding nobody.
///
/// `@unchecked Sendable`: swift-crypto's `SymmetricKey` is not marked Sendable, but it is
/// an immutable value, and this type holds it in `let`s only. A class: every ledger event
/// and every sealed field takes the key, and a struct's copy retained and released its two
/// keys and two HMAC states each time.
public final class RegistryKey: @unchecked Sendable {
    let sealing: SymmetricKey
    let index: SymmetricKey
    /// HMAC under ``index``, its key's blocks hashed once (``PreparedHMAC``).
    private let keyedIndex: PreparedHMAC
    /// HMAC under the chain key, for each link (see ``HashChain``).
    private let keyedChain: PreparedHMAC
    /// A hex HMAC of a fixed text under the index key: tells keys apart, reveals nothing.
    public let checkValue: String

    static let fileTag = "registry-key-v1"

    init(master: SymmetricKey) {
        func derive(_ label: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: master, salt: Data("registry".utf8),
                                   info: Data(label.utf8), outputByteCount: 32)
        }
        sealing = derive("registry sealing key v1")
        index = derive("registry blind index key v1")
        keyedIndex = PreparedHMAC(key: index)
        keyedChain = PreparedHMAC(key: derive("registry chain key v1"))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("registry key check v1".utf8), using: index)
        checkValue = Hex.string(Data(mac).prefix(16))
    }

    /// The blind index of an ID number: the first 16 bytes of its HMAC-SHA256 under the index key.
    public func blindIndex(_ idNumber: String) -> Data {
        var text = idNumber
        return text.withUTF8 { keyedIndex.code(UnsafeRawBufferPointer($0)) }.withUnsafeBytes { Data($0.prefix(16)) }
    }

    /// Encrypts `text` with AES-256-GCM and a random nonce, bound to the column `label`
    /// and the row `binding` (the resident's blind index, the unit's id): both are
    /// authenticated with it, so the value opens only in that column of that row. The
    /// result is nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
    ///
    /// ```swift
    /// let sealed = try key.seal("13800005852", label: "resident.phone", boundTo: blindIndex)
    /// try key.open(sealed, label: "resident.phone", boundTo: blindIndex)   // "13800005852"
    /// try key.open(sealed, label: "resident.phone", boundTo: otherIndex)   // throws
    /// ```
    public func seal(_ text: String, label: String, boundTo binding: some DataProtocol) throws -> Data {
        try AES.GCM.seal(Data(text.utf8), using: sealing, nonce: NonceSource.shared.next(),
                         authenticating: Self.associatedData(label, binding)).combined!
    }

    /// Decrypts what ``seal(_:label:boundTo:)`` made for the same column and row.
    /// - Throws: when the value was altered, moved from another row or column, or sealed
    ///   under another key.
    public func open(_ sealed: some DataProtocol, label: String, boundTo binding: some DataProtocol) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: sealing, authenticating: Self.associatedData(label, binding)), as: UTF8.self)
    }

    /// Decrypts a value sealed by schema versions 3 to 5, which bound it to its column only.
    /// Used by the migration that binds every sealed value to its row.
    func openUnbound(_ sealed: some DataProtocol, label: String) throws -> String {
        let box = try AES.GCM.SealedBox(combined: sealed)
        return String(decoding: try AES.GCM.open(box, using: sealing, authenticating: Data(label.utf8)), as: UTF8.self)
    }

    /// The authenticated data of a sealed value: the label, a zero byte, the row's binding.
    private static func associatedData(_ label: String, _ binding: some DataProtocol) -> Data {
        var data = Data(capacity: label.utf8.count + 1 + binding.count)
        data.append(contentsOf: label.utf8)
        data.append(0)
        data.append(contentsOf: binding)
        return data
    }

    /// The hex HMAC-SHA256 of `text` under the chain key.
    func chainMAC(_ text: String) -> String {
        chainMAC(Array(text.utf8))
    }

    /// ``chainMAC(_:)`` of text already in UTF-8.
    func chainMAC(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { keyedChain.code($0) }.withUnsafeBytes { Hex.string($0) }
    }

    /// The key file used for the database at `databasePath` when none is named: the
    /// database's path with `.key` appended (`registry.sqlite.key`).
    public static func defaultPath(forDatabase databasePath: String) -> String {
        databasePath + ".key"
    }

    /// Reads the key file at `path`.
    /// - Returns: `nil` when there is no file there.
    /// - Throws: `key_unreadable` for a file that is not a key, `key_file_exposed` for a
    ///   key file that users other than its owner may read, `key_file_foreign` for one
    ///   owned by another account (planted where this registry looks for its key, it would
    ///   seal new records under a key its planter holds).
    public static func load(path: String) throws(RegistryError) -> RegistryKey? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw RegistryError(.internalError, reason: .keyUnreadable, field: "keyFile",
                                message: "cannot read the key file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_uid == geteuid() else {
            throw RegistryError(.internalError, reason: .keyFileForeign, field: "keyFile",
                                message: "the key file \(path) belongs to another account (uid \(info.st_uid)): a registry uses only a key file of the account that runs it")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw RegistryError(.internalError, reason: .keyFileExposed, field: "keyFile",
                                message: "the key file \(path) may be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))): run `chmod 600 \(path)`")
        }
        guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
            throw RegistryError(.internalError, reason: .keyUnreadable, field: "keyFile", message: "cannot read the key file \(path)")
        }
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, parts[0] == fileTag, let bytes = hexBytes(parts[1]), bytes.count == 32 else {
            throw RegistryError(.internalError, reason: .keyUnreadable, field: "keyFile",
                                message: "\(path) is not a registry key file (expected one line: \(fileTag) and 64 hex digits)")
        }
        return RegistryKey(master: SymmetricKey(data: bytes))
    }

    /// Creates a new random key and writes it to `path` with mode 0600. Never overwrites:
    /// a key that exists may be the only way to read a database.
    /// - Throws: `key_exists` when a file is already there, `key_unwritable` when it cannot be written.
    public static func create(path: String) throws(RegistryError) -> RegistryKey {
        let master = SymmetricKey(size: .bits256)
        let hex = master.withUnsafeBytes { Hex.string($0) }
        let descriptor = createExclusive(path)
        guard descriptor >= 0 else {
            let reason: RegistryError.Reason = errno == EEXIST ? .keyExists : .keyUnwritable
            throw RegistryError(.internalError, reason: reason, field: "keyFile",
                                message: "cannot create the key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let line = Array("\(fileTag) \(hex)\n".utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw RegistryError(.internalError, reason: .keyUnwritable, field: "keyFile",
                                message: "cannot write the key file \(path): \(String(cString: strerror(errno)))")
        }
        return RegistryKey(master: master)
    }

    /// open(2) with O_CREAT | O_EXCL and mode 0600 (the instance method `open` hides the C function here).
    private static func createExclusive(_ path: String) -> Int32 {
        #if canImport(Glibc)
        Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #else
        Darwin.open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #endif
    }

    private static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
