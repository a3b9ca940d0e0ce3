import Crypto
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

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
        var inner = SHA256()
        var outer = SHA256()
        // The padded key in one block on the stack, wiped before it is given back
        // (`explicit_bzero`: a wipe the compiler may not drop as a dead store).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { block in
            block.initialize(repeating: 0)
            defer { Self.wipe(block) }
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
            for index in block.indices { block[index] ^= 0x36 }
            inner.update(bufferPointer: UnsafeRawBufferPointer(block))
            // 0x36 ^ 0x6a == 0x5c: the same block, now XOR the outer pad.
            for index in block.indices { block[index] ^= 0x6a }
            outer.update(bufferPointer: UnsafeRawBufferPointer(block))
        }
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

    /// Overwrites `bytes` with zeros in a way the compiler keeps.
    private static func wipe(_ bytes: UnsafeMutableBufferPointer<UInt8>) {
        #if canImport(Glibc)
        explicit_bzero(bytes.baseAddress!, bytes.count)
        #else
        _ = memset_s(bytes.baseAddress!, bytes.count, 0, bytes.count)
        #endif
    }
}
