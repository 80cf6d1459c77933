import BrigadeExecutors
import Logging
import Testing

/// Taking work back: `cancel(_:)` on a ticket, and queued tasks whose context was cancelled.
@Suite("ThreadPool cancellation")
struct ThreadPoolCancellationTests {
    @Test func cancellingAQueuedTaskRemovesItAndItNeverRuns() throws {
        let pool = try makePool(max: 1, queue: 5)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let ran = Counter(), discarded = Counter()
        let ticket = try pool.execute(onDiscard: { _ in discarded.increment() }) { ran.increment() }
        let after = Latch()
        try pool.execute { after.countDown() }

        #expect(pool.cancel(ticket))
        #expect(pool.statistics.queued == 1)
        #expect(pool.statistics.cancelled == 1)

        gate.open()
        #expect(after.wait(), "the task queued behind it still runs")
        #expect(ran.value == 0)
        #expect(discarded.value == 0, "onDiscard is not called for cancel(_:)")
    }

    @Test func cancellingAStartedTaskReturnsFalse() throws {
        let pool = try makePool(max: 1)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        let ticket = try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())

        #expect(!pool.cancel(ticket))
        #expect(pool.statistics.cancelled == 0)
        gate.open()
        #expect(eventually { pool.statistics.completed == 1 })
        #expect(!pool.cancel(ticket), "nor once it has finished")
    }

    @Test func cancellingTheSameTicketTwiceSucceedsOnce() throws {
        let pool = try makePool(max: 1)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let ticket = try pool.execute {}

        #expect(pool.cancel(ticket))
        #expect(!pool.cancel(ticket))
        #expect(pool.statistics.cancelled == 1)
    }

    @Test func queuedTaskWhoseContextWasCancelledIsDiscardedWithoutRunning() throws {
        let pool = try makePool(max: 1, queue: 5)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let context = WorkContext(requestID: "gone", logger: Logger(label: "test"))
        let ran = Counter(), reasons = Recorder<RejectedExecutionError.Reason>(), discarded = Latch()
        try WorkContext.$current.withValue(context) {
            try pool.execute(onDiscard: { reason in
                reasons.record(reason)
                discarded.countDown()
            }) { ran.increment() }
        }
        let after = Latch()
        try pool.execute { after.countDown() }

        context.cancellation.cancel(reason: "client went away")
        gate.open()

        #expect(discarded.wait())
        #expect(after.wait())
        #expect(reasons.all == [.cancelled])
        #expect(ran.value == 0)
        #expect(eventually { pool.statistics.completed == 2 })
        #expect(pool.statistics.cancelled == 1)
    }

    @Test func runningTaskIsNotStoppedWhenItsContextIsCancelled() throws {
        let pool = try makePool(max: 1)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        let context = WorkContext(requestID: "slow", logger: Logger(label: "test"))
        let sawCancelled = Recorder<Bool>()
        try WorkContext.$current.withValue(context) {
            try pool.executeBlocking(started: started, until: gate) {
                sawCancelled.record(WorkContext.current?.cancellation.isCancelled ?? false)
            }
        }
        #expect(started.wait())

        context.cancellation.cancel(reason: "timed out")
        gate.open()

        #expect(eventually { pool.statistics.completed == 1 })
        #expect(sawCancelled.all == [true], "the task finishes and can see it was cancelled")
        #expect(pool.statistics.cancelled == 0)
    }
}
