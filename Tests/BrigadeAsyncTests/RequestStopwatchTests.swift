@testable import Brigade
import Testing

/// The stopwatch's arithmetic and the `Server-Timing` value's form, on fixed clock readings.
@Suite struct RequestStopwatchTests {
    @Test func lapsAreBackToBackSoThePartsAddUpToTheTotal() {
        var stopwatch = RequestStopwatch(receivedAt: 1_000)
        stopwatch.lap(.frontQueue, at: 1_500)
        stopwatch.endFront(at: 3_000)
        stopwatch.endFront(at: 9_000)  // once only
        stopwatch.lap(.render, at: 4_000)
        #expect(stopwatch.nanoseconds == TierNanoseconds(frontQueue: 500, front: 1_500, render: 1_000, total: 3_000))
    }

    @Test func aStaleReadingAddsNothing() {
        var stopwatch = RequestStopwatch(receivedAt: 1_000)
        stopwatch.lap(.frontQueue, at: 2_000)
        stopwatch.lap(.front, at: 1_500)
        stopwatch.lap(.render, at: 2_500)
        #expect(stopwatch.nanoseconds == TierNanoseconds(frontQueue: 1_000, render: 500, total: 1_500))
    }

    @Test func theAsynchronousWaitIsBackQueueAndBackOrAsync() {
        var started = RequestStopwatch(receivedAt: 0)
        started.endFront(at: 10)
        var callable = started
        callable.lapAsynchronous(onBackExecutor: true, backStartedAt: 25, at: 100)
        #expect(callable.nanoseconds == TierNanoseconds(front: 10, backQueue: 15, back: 75, total: 100))
        var neverStarted = started
        neverStarted.lapAsynchronous(onBackExecutor: true, backStartedAt: 0, at: 100)
        #expect(neverStarted.nanoseconds == TierNanoseconds(front: 10, backQueue: 90, total: 100))
        var deferred = started
        deferred.lapAsynchronous(onBackExecutor: false, backStartedAt: 0, at: 100)
        #expect(deferred.nanoseconds == TierNanoseconds(front: 10, asyncWait: 90, total: 100))
    }

    // `Brigade.`: this target has a test interceptor of the same name.
    @Test func theHeaderValueIsMillisecondsWithThreeDecimalsAndLeavesOutWhatRoundsToZero() {
        #expect(Brigade.ServerTiming.value(TierNanoseconds(frontQueue: 31_000, front: 120_400, render: 49_600, total: 201_000))
            == "front-queue;dur=0.031, front;dur=0.120, render;dur=0.050, total;dur=0.201")
        #expect(Brigade.ServerTiming.value(TierNanoseconds(frontQueue: 499, front: 500, backQueue: 1_999_500, back: 100_204_000_499, total: 100_206_000_498))
            == "front;dur=0.001, back-queue;dur=2.000, back;dur=100204.000, total;dur=100206.000")
        #expect(Brigade.ServerTiming.value(TierNanoseconds(asyncWait: 7_000_000, total: 7_000_000)) == "async;dur=7.000, total;dur=7.000")
        #expect(Brigade.ServerTiming.value(TierNanoseconds()) == "total;dur=0.000")
        #expect(Brigade.ServerTiming.value(TierNanoseconds(total: .max)) == "total;dur=18446744073709.552")
    }

    @Test func timingsSurviveTheTripThroughDurations() {
        let nanoseconds = TierNanoseconds(frontQueue: 1, front: 2, backQueue: 3, back: 4, asyncWait: 5, render: 6, total: 21)
        #expect(TierNanoseconds(RequestTimings(nanoseconds)) == nanoseconds)
        #expect(RequestTimings(nanoseconds).total == .nanoseconds(21))
    }
}
