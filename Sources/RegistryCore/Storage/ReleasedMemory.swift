import CAllocator

/// Memory the process has freed but the C allocator still holds.
enum ReleasedMemory {
    /// Asks glibc to give freed heap pages back to the system (`malloc_trim`), so that a
    /// phase's freed buffers do not stay in the resident size under the next phase's. A
    /// no-op where there is no glibc.
    static func returnToSystem() {
        #if os(Linux)
        _ = malloc_trim(0)
        #endif
    }
}
