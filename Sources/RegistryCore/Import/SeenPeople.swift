import Foundation

/// The people a bulk import has met so far, in fixed memory: a Bloom filter over the first
/// 17 digits of their ID numbers (the 18th is their check character).
///
/// It may say "seen" of someone new (a false positive, rare while the filter is not
/// overfull), never "new" of someone seen. That is the safe side for the import: a row
/// taken for a later row of a known person runs through the operations, which handle a
/// new person as well; only a row wrongly taken for a first one could go wrong, and that
/// cannot happen. A `Set` of every person cost 16 bytes each (160 MB for ten million).
struct SeenPeople {
    private var bits: [UInt64]
    private let mask: UInt64

    /// A filter sized for about `expected` people (at least 1 Mbit, at most 256 Mbit =
    /// 32 MB): 16 bits per person, 4 probes, about 0.2% false positives when full.
    init(expected: Int) {
        var size: UInt64 = 1 << 20
        while size < UInt64(max(expected, 1)) * 16 && size < 1 << 28 { size <<= 1 }
        bits = [UInt64](repeating: 0, count: Int(size / 64))
        mask = size - 1
    }

    /// Records `key`; returns whether it may have been recorded before.
    mutating func insert(_ key: UInt64) -> Bool {
        var state = key
        var allSet = true
        for _ in 0..<4 {
            // SplitMix64 steps: four well-spread positions from one key.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let bit = z & mask
            let word = Int(bit >> 6), flag: UInt64 = 1 << (bit & 63)
            if bits[word] & flag == 0 {
                allSet = false
                bits[word] |= flag
            }
        }
        return allSet
    }
}
