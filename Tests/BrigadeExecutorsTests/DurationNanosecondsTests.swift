import BrigadeExecutors
import Testing

/// `Duration.clampedNanoseconds` and `UInt64.addingSaturating`: the one conversion every
/// timer, deadline and statistic uses, saturating instead of trapping.
@Suite struct DurationNanosecondsTests {
    @Test func ordinaryDurationsConvertExactly() {
        #expect(Duration.zero.clampedNanoseconds == 0)
        #expect(Duration.nanoseconds(1).clampedNanoseconds == 1)
        #expect(Duration.milliseconds(250).clampedNanoseconds == 250_000_000)
        #expect(Duration.seconds(20).clampedNanoseconds == 20_000_000_000)
        #expect(Duration.nanoseconds(Int64.max).clampedNanoseconds == UInt64(Int64.max))
    }

    @Test func fractionsOfANanosecondAreTruncated() {
        #expect((Duration.nanoseconds(1) / 2).clampedNanoseconds == 0)
        #expect((Duration.nanoseconds(3) / 2).clampedNanoseconds == 1)
    }

    @Test func negativeDurationsAreZero() {
        #expect(Duration.nanoseconds(-1).clampedNanoseconds == 0)
        #expect((Duration.nanoseconds(-1) / 2).clampedNanoseconds == 0)
        #expect(Duration.seconds(Int64.min).clampedNanoseconds == 0)
    }

    @Test func durationsTooLongForUInt64Saturate() {
        // UInt64.max nanoseconds is 18_446_744_073 s and 709_551_615 ns: exactly representable...
        let longest = Duration.seconds(18_446_744_073) + .nanoseconds(709_551_615)
        #expect(longest.clampedNanoseconds == .max)
        // ...and one nanosecond more, or far more, saturates instead of trapping.
        #expect((longest + .nanoseconds(1)).clampedNanoseconds == .max)
        #expect((Duration.seconds(18_446_744_073) + .nanoseconds(999_999_999)).clampedNanoseconds == .max)
        #expect(Duration.seconds(Int64.max).clampedNanoseconds == .max)
        #expect((Duration.seconds(Int64.max) + .seconds(Int64.max)).clampedNanoseconds == .max)
    }

    @Test func addingSaturatingStopsAtTheMaximum() {
        #expect(UInt64(1).addingSaturating(2) == 3)
        #expect(UInt64.max.addingSaturating(0) == .max)
        #expect(UInt64.max.addingSaturating(1) == .max)
        #expect((UInt64.max - 5).addingSaturating(Duration.seconds(Int64.max).clampedNanoseconds) == .max)
    }
}
