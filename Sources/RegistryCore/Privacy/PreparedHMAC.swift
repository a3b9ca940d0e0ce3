import Crypto

/// HMAC-SHA256 (RFC 2104) under one key, with the key's two padded blocks hashed once:
/// each code then copies the two SHA-256 states and hashes the message and the inner digest.
///
/// The same codes as swift-crypto's `HMAC<SHA256>` (a test compares them for every length
/// of message around the block size), built on its `SHA256`. Not `HMAC<SHA256>` itself:
/// its `update(data:)` is not inlinable, so outside its module every call goes through
/// the generic `DataProtocol` path and instantiates type metadata at run time — 2.0 µs for
/// a ledger event's 300-byte link against 1.1 µs here, and every registration and every
/// imported row links one event and computes one blind index.
///
/// ```swift
/// let mac = PreparedHMAC(key: chainKey)
/// let code = bytes.withUnsafeBytes { mac.code($0) }   // == HMAC<SHA256>.authenticationCode(for: bytes, using: chainKey)
/// ```
struct PreparedHMAC: @unchecked Sendable {
    /// SHA-256 after the key XOR 0x36, and after the key XOR 0x5c (one 64-byte block each).
    private let inner: SHA256
    private let outer: SHA256

    init(key: SymmetricKey) {
        var block = [UInt8](repeating: 0, count: 64)
        key.withUnsafeBytes { keyBytes in
            if keyBytes.count > block.count {
                // A key longer than a block is hashed first (RFC 2104, section 2).
                var hasher = SHA256()
                hasher.update(bufferPointer: keyBytes)
                hasher.finalize().withUnsafeBytes { digest in
                    for (index, byte) in digest.enumerated() { block[index] = byte }
                }
            } else {
                for (index, byte) in keyBytes.enumerated() { block[index] = byte }
            }
        }
        var inner = SHA256()
        var outer = SHA256()
        block.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        block.map { $0 ^ 0x5c }.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    /// The code of `message`.
    func code(_ message: UnsafeRawBufferPointer) -> SHA256Digest {
        var inner = self.inner
        inner.update(bufferPointer: message)
        let innerDigest = inner.finalize()
        var outer = self.outer
        innerDigest.withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize()
    }
}
