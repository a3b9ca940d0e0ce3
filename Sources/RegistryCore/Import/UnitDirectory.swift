import GRDB

/// Every unit's row id by a 64-bit hash of its `unit_id`, read once at the start of a
/// county's first load: the writer then reads a row's unit by row id, one B-tree seek
/// instead of two.
///
/// Looking a unit up by its code seeks `unit`'s UNIQUE index and then the table. A first
/// load meets some 400,000 different units at a million rows, almost never the same one
/// twice within a page cache's reach (the file is in date order), and its own new pages
/// push the index out of the cache: at a million rows the index's pages were read from
/// the file 436,000 times. One pass over that index (a covering scan, 0.2 s) replaces them.
///
/// A hash is not the code: the caller compares the unit it reads with the code it looked
/// for, and falls back to the index on any mismatch. Two codes with the same hash are
/// marked ambiguous here and always take the index. Memory: 12 bytes a slot, slots a power
/// of two at most 5/8 full (575,000 units: 2^20 slots, 12 MiB).
///
///     let directory = try UnitDirectory(db)
///     if let id = directory?.rowID(of: "411525001001001-0001") { … read unit `id`, check its code … }
struct UnitDirectory {
    /// The hash of a slot's code; 0 marks an empty slot.
    private var hashes: [UInt64]
    /// The row id of a slot's unit, or ``ambiguous``.
    private var rows: [UInt32]
    private let mask: Int

    private static let ambiguous = UInt32.max
    /// The start of every hash in this process (``hash(_:)``).
    private static let seed = UInt64.random(in: 1...UInt64.max)

    /// Reads every unit's code and row id; `nil` when a row id does not fit 32 bits (the
    /// caller then looks units up by their codes).
    init?(_ db: Database) throws {
        self.init(capacity: try Int.fetchOne(db, sql: "SELECT count(*) FROM unit") ?? 0)
        var fits = true
        try RawStatement(db, "SELECT unit_id, id FROM unit").each { columns in
            let id = columns.int64(1)
            guard id >= 0 && id < Int64(Self.ambiguous) else { fits = false; return }
            insert(hash: Self.hash(columns.bytes(0)), row: UInt32(id))
        }
        guard fits else { return nil }
    }

    /// An empty directory for `capacity` units.
    init(capacity: Int) {
        var slots = 1024
        while slots * 5 < capacity * 8 { slots <<= 1 }
        hashes = Array(repeating: 0, count: slots)
        rows = Array(repeating: 0, count: slots)
        mask = slots - 1
    }

    /// The row id of the unit whose code hashes as `code` does; `nil` when none does, or
    /// when two codes share the hash.
    func rowID(of code: String) -> Int64? {
        var code = code
        return rowID(hash: code.withUTF8 { Self.hash($0) })
    }

    func rowID(hash: UInt64) -> Int64? {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while hashes[slot] != 0 {
            if hashes[slot] == hash {
                return rows[slot] == Self.ambiguous ? nil : Int64(rows[slot])
            }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Enters a unit; a second unit with the same hash makes the hash ambiguous.
    mutating func insert(hash: UInt64, row: UInt32) {
        precondition(hash != 0, "0 marks an empty slot")
        var slot = Int(truncatingIfNeeded: hash) & mask
        while hashes[slot] != 0 {
            if hashes[slot] == hash {
                rows[slot] = Self.ambiguous
                return
            }
            slot = (slot + 1) & mask
        }
        hashes[slot] = hash
        rows[slot] = row
    }

    /// FNV-1a over the code's bytes from a per-process random start, mixed so that the low
    /// bits (the slot) depend on all of them; never 0. The random start keeps anyone who
    /// chooses unit codes (an import of hostile units) from piling them into one run of
    /// slots, which would turn each look-up into a long probe.
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        hash ^= hash >> 29
        hash = hash &* 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 32
        return hash == 0 ? 1 : hash
    }
}
