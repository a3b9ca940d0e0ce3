/// The bytes of a statement's text and blob parameters (a kept statement's,
/// ``KeptStatements``, or a ``MultiRowInsert``'s), held until its step is done, so that
/// SQLite can read them in place (`SQLITE_STATIC`) instead of copying each into a buffer
/// of its own.
///
/// SQLite copies a value bound with `SQLITE_TRANSIENT` into memory it allocates, and frees
/// that memory when the parameter is bound again (Debian's SQLite has no lookaside
/// allocator, so both go to `malloc`): some 340 instructions a text parameter, 11,000 of a
/// registration's 168,000 on the running thread. Here a value is copied once into chunks
/// that live as long as the statement is held and are written over from the start after
/// each step.
///
/// The rule that makes this safe: **a binding that points in here never outlives the step
/// it was made for.** ``RawStatement`` clears a held statement's bindings as it resets it
/// after every step, and ``KeptStatements/release()`` clears them all when the transaction
/// ends (for a caller that bound and then threw before stepping). Chunks never move once
/// allocated, so a value stays where it was put while later values are added.
///
/// ```swift
/// let bytes = ParameterBytes()
/// let pointer = bytes.hold(buffer)   // valid until `reuse()`
/// sqlite3_bind_text(handle, 1, pointer, count, nil)
/// sqlite3_step(handle); sqlite3_reset(handle); sqlite3_clear_bindings(handle)
/// bytes.reuse()
/// ```
final class ParameterBytes {
    /// The smallest chunk: a row's parameters fit in the first one.
    static let chunkSize = 4096

    // Unchecked exclusivity: only ever used on the connection's thread, never reentrantly,
    // and each access a load or a store (a checked access cost as much as the copy).
    @exclusivity(unchecked) private var chunks: [UnsafeMutableRawBufferPointer] = []
    /// The chunk being filled (`chunks[current]`), and how much of it is.
    @exclusivity(unchecked) private var current = 0
    @exclusivity(unchecked) private var base: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var capacity = 0
    @exclusivity(unchecked) private var used = 0

    init() {}

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    /// Copies `bytes` in and returns where they are, a NUL after them; valid until
    /// ``reuse()``.
    func hold(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        let needed = bytes.count + 1
        if used + needed > capacity { nextChunk(fitting: needed) }
        let start = base! + used
        if let source = bytes.baseAddress, bytes.count > 0 {
            start.copyMemory(from: source, byteCount: bytes.count)
        }
        start.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
        used += needed
        return UnsafeRawPointer(start)
    }

    /// Moves on to the next chunk of at least `needed` bytes, allocating one if none is
    /// left. Chunks before it keep what they hold.
    private func nextChunk(fitting needed: Int) {
        if base != nil { current += 1 }
        while current < chunks.count && chunks[current].count < needed { current += 1 }
        if current == chunks.count {
            chunks.append(.allocate(byteCount: max(Self.chunkSize, needed), alignment: 8))
        }
        base = chunks[current].baseAddress
        capacity = chunks[current].count
        used = 0
    }

    /// Every chunk may be written over from the start: call only once no binding points in.
    func reuse() {
        guard !chunks.isEmpty else { return }
        current = 0
        base = chunks[0].baseAddress
        capacity = chunks[0].count
        used = 0
    }
}
