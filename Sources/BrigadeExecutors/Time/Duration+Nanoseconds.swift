extension Duration {
    /// The duration in whole nanoseconds (truncated toward zero), clamped to `0...UInt64.max`:
    /// a negative duration is zero, one longer than about 584 years is `UInt64.max`.
    ///
    /// The one conversion Brigade uses to turn a `Duration` into the monotonic nanoseconds its
    /// deadlines, timers and statistics count in; it never traps. Pair it with
    /// `UInt64.addingSaturating(_:)` for deadlines, so that "never" stays in the future:
    /// ```swift
    /// let deadline = monotonicNanoseconds().addingSaturating(timeout.clampedNanoseconds)
    /// ```
    /// Where a signed count is needed (NIO's `TimeAmount`), use `Int64(clamping:)` on it, or
    /// NIO's own `TimeAmount(_: Duration)`, which saturates the same way.
    public var clampedNanoseconds: UInt64 {
        // Through the 128-bit count of attoseconds: `components` itself traps for durations
        // whose seconds do not fit an Int64 (say, two `.seconds(Int64.max)` added).
        let nanoseconds = attoseconds / 1_000_000_000
        if nanoseconds <= 0 { return 0 }
        return nanoseconds >= Int128(UInt64.max) ? .max : UInt64(nanoseconds)
    }
}

extension UInt64 {
    /// `self + other`, or `UInt64.max` where that overflows: a deadline "never" must not wrap
    /// round to the past.
    @inlinable
    public func addingSaturating(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
