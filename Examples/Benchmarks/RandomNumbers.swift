import Synchronization

/// Random ids and numbers for the database tests (1…10000), without a system call each.
///
/// SplitMix64 over one atomic counter: `SystemRandomNumberGenerator` costs a `getrandom`
/// system call per number on this platform, which `/queries?queries=500` would pay 500 times.
/// Thread-safe (one relaxed atomic add per number); statistical quality is SplitMix64's,
/// plenty for picking rows.
enum RandomNumbers {
    private static let state = Atomic<UInt64>(UInt64.random(in: 0...UInt64.max))

    /// The next 64 random bits.
    static func next() -> UInt64 {
        var z = state.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 1…10000: a world id, or a new `randomNumber`.
    static func oneToTenThousand() -> Int { Int(next() % 10_000) + 1 }
}
