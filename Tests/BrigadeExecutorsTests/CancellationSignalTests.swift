import BrigadeExecutors
import Testing

/// `CancellationSignal`: once, and every handler exactly once.
@Suite("CancellationSignal")
struct CancellationSignalTests {
    @Test func firstCancelWins() {
        let signal = CancellationSignal()
        #expect(!signal.isCancelled)
        #expect(signal.reason == nil)

        #expect(signal.cancel(reason: "timed out"))
        #expect(!signal.cancel(reason: "client went away"))

        #expect(signal.isCancelled)
        #expect(signal.reason == "timed out")
    }

    @Test func registeredHandlersRunOnceWithTheReason() {
        let signal = CancellationSignal()
        let first = Recorder<String>(), second = Recorder<String>()
        #expect(signal.onCancel { first.record($0) } != nil)
        #expect(signal.onCancel { second.record($0) } != nil)

        signal.cancel(reason: "timed out")
        signal.cancel(reason: "again")

        #expect(first.all == ["timed out"])
        #expect(second.all == ["timed out"])
    }

    @Test func handlerRegisteredAfterCancellationRunsAtOnce() {
        let signal = CancellationSignal()
        signal.cancel(reason: "gone")
        let seen = Recorder<String>()

        let registration = signal.onCancel { seen.record($0) }

        #expect(registration == nil)
        #expect(seen.all == ["gone"], "ran on this thread before onCancel returned")
    }

    @Test func removedHandlerDoesNotRun() {
        let signal = CancellationSignal()
        let removed = Counter(), kept = Counter()
        let registration = signal.onCancel { _ in removed.increment() }
        signal.onCancel { _ in kept.increment() }

        signal.remove(registration)
        signal.remove(nil)
        signal.cancel(reason: "done")

        #expect(removed.value == 0)
        #expect(kept.value == 1)
    }

    @Test func concurrentCancelsRunEachHandlerExactlyOnce() {
        let signal = CancellationSignal()
        let tally = RunTally(count: 50)
        for index in 0..<50 { signal.onCancel { _ in tally.ran(index) } }
        let winners = Counter()

        onUnmanagedThreads(8) { index in
            if signal.cancel(reason: "thread \(index)") { winners.increment() }
        }

        #expect(winners.value == 1)
        #expect(tally.notExactlyOnce.isEmpty)
    }

    @Test func registrationsRacingWithCancelEachRunExactlyOnce() {
        let signal = CancellationSignal()
        let perThread = 500
        let tally = RunTally(count: 4 * perThread)

        onUnmanagedThreads(5) { thread in
            if thread == 4 {
                signal.cancel(reason: "now")
                return
            }
            for index in 0..<perThread {
                signal.onCancel { _ in tally.ran(thread * perThread + index) }
            }
        }

        #expect(tally.notExactlyOnce.isEmpty)
    }
}
