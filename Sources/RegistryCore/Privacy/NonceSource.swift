import Crypto
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The 96-bit nonces of AES-GCM sealing, drawn from the kernel's generator 4 KiB at a time.
///
/// swift-crypto makes a nonce with one `getrandom` system call per sealed value; on the
/// writing thread that was a third of the cost of sealing (measured on `serve --stdio`).
/// These nonces are the same kernel randomness, fetched in larger pieces: each is used once
/// and never again (the buffer only moves forward), and a nonce of 12 random bytes per value
/// is what AES-GCM with a random nonce asks for.
///
/// ```swift
/// let box = try AES.GCM.seal(message, using: key, nonce: NonceSource.shared.next())
/// ```
final class NonceSource: Sendable {
    static let shared = NonceSource()

    private static let bufferSize = 4096
    private struct State: ~Copyable {
        var bytes: [UInt8]
        var used: Int
    }
    private let state = Mutex(State(bytes: [], used: 0))

    /// A fresh nonce.
    func next() -> AES.GCM.Nonce {
        let size = 12
        let bytes: [UInt8] = state.withLock { state in
            if state.used + size > state.bytes.count {
                state.bytes = Self.randomBytes(Self.bufferSize)
                state.used = 0
            }
            defer { state.used += size }
            return Array(state.bytes[state.used..<(state.used + size)])
        }
        // 12 bytes are always a valid GCM nonce.
        return try! AES.GCM.Nonce(data: bytes)
    }

    /// `count` bytes from the kernel's generator: `/dev/urandom` read once per buffer, or,
    /// where it cannot be opened, the standard library's generator (a system call per 8 bytes).
    private static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            bytes.withUnsafeMutableBytes { buffer in
                while filled < count {
                    let got = read(fd, buffer.baseAddress! + filled, count - filled)
                    if got > 0 { filled += got } else if got == 0 || errno != EINTR { break }
                }
            }
        }
        if filled < count {
            var generator = SystemRandomNumberGenerator()
            for index in filled..<count { bytes[index] = generator.next() }
        }
        return bytes
    }
}
