/// A cumulative histogram of durations with log-linear buckets: four per power of two from
/// about one microsecond, so any percentile read from it is within 25 % of the true value.
///
/// Pools record every task's queue wait and service time into one; an observer subtracts an
/// older snapshot from a newer one (``subtracting(_:)``) to get the distribution over a
/// window, and reads percentiles from that. Recording is a shift, a count of leading zeros
/// and an increment.
public struct LatencyHistogram: Sendable, Hashable {
    /// Values are bucketed in units of 1024 ns (≈ 1 µs).
    private static let unitShift: UInt64 = 10
    /// The largest exponent kept apart; longer durations (≈ 9.5 hours and up) share the last bucket.
    private static let maxExponent = 35
    /// The number of buckets.
    public static let bucketCount = 4 + (maxExponent - 1) * 4

    /// Observations per bucket.
    public private(set) var counts: [UInt64]
    /// Observations in all.
    public private(set) var count: UInt64 = 0
    /// The sum of all observations, in nanoseconds.
    public private(set) var sumNanoseconds: UInt64 = 0

    /// An empty histogram.
    public init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    /// Records one duration.
    public mutating func record(nanoseconds: UInt64) {
        counts[Self.bucket(for: nanoseconds)] &+= 1
        count &+= 1
        sumNanoseconds &+= nanoseconds
    }

    /// The observations recorded since `earlier`, a snapshot of the same histogram.
    public func subtracting(_ earlier: LatencyHistogram) -> LatencyHistogram {
        var delta = LatencyHistogram()
        for index in counts.indices { delta.counts[index] = counts[index] &- earlier.counts[index] }
        delta.count = count &- earlier.count
        delta.sumNanoseconds = sumNanoseconds &- earlier.sumNanoseconds
        return delta
    }

    /// The mean, or zero when empty.
    public var mean: Duration {
        count == 0 ? .zero : .nanoseconds(Int64(clamping: sumNanoseconds / count))
    }

    /// The value below which a fraction `p` (0…1) of the observations fall: the upper bound of
    /// the bucket that holds it, so never an underestimate. Zero when empty.
    public func percentile(_ p: Double) -> Duration {
        guard count > 0 else { return .zero }
        let rank = max(1, UInt64((Double(count) * min(max(p, 0), 1)).rounded(.up)))
        var seen: UInt64 = 0
        for (index, bucketCount) in counts.enumerated() {
            seen &+= bucketCount
            if seen >= rank { return .nanoseconds(Int64(clamping: Self.upperBoundNanoseconds(ofBucket: index))) }
        }
        return .nanoseconds(Int64(clamping: Self.upperBoundNanoseconds(ofBucket: counts.count - 1)))
    }

    /// The bucket a duration falls in.
    static func bucket(for nanoseconds: UInt64) -> Int {
        let units = nanoseconds >> unitShift
        if units < 4 { return Int(units) }
        let exponent = min(63 - units.leadingZeroBitCount, maxExponent)
        if exponent == maxExponent, units >> UInt64(maxExponent + 1) != 0 { return bucketCount - 1 }
        let sub = Int((units >> UInt64(exponent - 2)) & 3)
        return 4 + (exponent - 2) * 4 + sub
    }

    /// The exclusive upper bound of a bucket, in nanoseconds.
    static func upperBoundNanoseconds(ofBucket index: Int) -> UInt64 {
        if index < 4 { return UInt64(index + 1) << unitShift }
        let exponent = (index - 4) / 4 + 2
        let sub = UInt64((index - 4) % 4)
        return ((4 + sub + 1) << UInt64(exponent - 2)) << unitShift
    }
}
