import BrigadeExecutors
import Testing

/// Graceful and immediate shutdown, and waiting for termination.
@Suite("ThreadPool shutdown")
struct ThreadPoolShutdownTests {
    @Test func gracefulShutdownFinishesQueuedWorkAndRejectsNewWork() throws {
        let pool = try makePool(max: 1, queue: 5)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let ran = Counter()
        for _ in 0..<2 { try pool.execute { ran.increment() } }

        pool.shutdown()

        let error = #expect(throws: RejectedExecutionError.self) { try pool.execute { ran.increment() } }
        #expect(error?.reason == .shutdown)
        #expect(pool.statistics.rejected == 1)
        #expect(!pool.awaitTermination(timeout: .milliseconds(30)), "a task still runs")
        gate.open()
        #expect(pool.awaitTermination(timeout: .seconds(10)))
        #expect(ran.value == 2)
        #expect(pool.statistics.completed == 3)
        #expect(pool.statistics.poolSize == 0)
    }

    @Test func shutdownLetsIdleCoreThreadsExit() throws {
        let pool = try makePool(core: 3, max: 3)
        let done = Latch(count: 3), gate = Latch()
        for _ in 0..<3 { try pool.executeBlocking(started: done, until: gate) }
        #expect(done.wait())
        gate.open()
        #expect(eventually { pool.statistics.completed == 3 })

        pool.shutdown()

        #expect(pool.awaitTermination(timeout: .seconds(10)))
        #expect(pool.statistics.poolSize == 0)
    }

    @Test func shutdownOfAPoolThatNeverStartedAThreadTerminatesAtOnce() throws {
        let pool = try makePool(core: 0)
        pool.shutdown()
        #expect(pool.awaitTermination(timeout: .seconds(10)))
    }

    @Test func awaitTerminationTimesOutWhenThePoolIsNotShutDown() throws {
        let pool = try makePool(core: 1)
        defer { pool.tearDown() }
        #expect(!pool.awaitTermination(timeout: .milliseconds(20)))
    }

    @Test func awaitTerminationWithAnEnormousTimeoutStillWaits() throws {
        let pool = try makePool(max: 1)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        pool.shutdown()
        let returned = Latch(), results = Recorder<Bool>(), early = Recorder<Bool>()

        // A deadline that overflows must mean "never", not "already passed".
        onUnmanagedThreads(2) { index in
            if index == 0 {
                results.record(pool.awaitTermination(timeout: .seconds(Int64.max / 2)))
                returned.countDown()
            } else {
                early.record(returned.wait(timeout: .milliseconds(50)))
                gate.open()
            }
        }

        #expect(early.all == [false], "returned before the pool terminated")
        #expect(results.all == [true])
    }

    @Test func shutdownNowDropsQueuedTasksAndReturnsTheirCount() throws {
        let pool = try makePool(max: 1, queue: 5)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let ran = Counter(), reasons = Recorder<RejectedExecutionError.Reason>()
        for _ in 0..<3 {
            try pool.execute(onDiscard: { reasons.record($0) }) { ran.increment() }
        }

        #expect(pool.shutdownNow() == 3)

        #expect(reasons.all == [.shutdown, .shutdown, .shutdown])
        #expect(pool.statistics.queued == 0)
        #expect(pool.statistics.cancelled == 3)
        let error = #expect(throws: RejectedExecutionError.self) { try pool.execute {} }
        #expect(error?.reason == .shutdown)
        gate.open()
        #expect(pool.awaitTermination(timeout: .seconds(10)))
        #expect(ran.value == 0)
        #expect(pool.statistics.completed == 1, "the running task was left to finish")
    }

    @Test func callerRunsPoolDoesNotRunWorkAfterShutdown() throws {
        let pool = try makePool(max: 1, queue: 0, policy: .callerRuns)
        pool.shutdown()
        let ran = Counter()

        let error = #expect(throws: RejectedExecutionError.self) { try pool.execute { ran.increment() } }

        #expect(error?.reason == .shutdown)
        #expect(ran.value == 0)
        #expect(pool.awaitTermination(timeout: .seconds(10)))
    }

    @Test func shutdownGracefullyReturnsTrueWhenWorkFinishesInTime() async throws {
        let pool = try makePool(core: 1, max: 2, queue: 10)
        let ran = Counter()
        for _ in 0..<5 { try pool.execute { ran.increment() } }

        let finished = await pool.shutdownGracefully(timeout: .seconds(10))

        #expect(finished)
        #expect(ran.value == 5)
        #expect(pool.statistics.poolSize == 0)
    }

    @Test func shutdownGracefullyWithAStuckTaskTimesOutAndDropsQueuedWork() async throws {
        let pool = try makePool(max: 1, queue: 5)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let ran = Counter(), reasons = Recorder<RejectedExecutionError.Reason>()
        try pool.execute(onDiscard: { reasons.record($0) }) { ran.increment() }

        let clock = ContinuousClock()
        let start = clock.now
        let finished = await pool.shutdownGracefully(timeout: .milliseconds(100))

        #expect(!finished)
        #expect(clock.now - start >= .milliseconds(100))
        #expect(reasons.all == [.shutdown])
        #expect(pool.statistics.queued == 0)
        gate.open()
        #expect(pool.awaitTermination(timeout: .seconds(10)))
        #expect(ran.value == 0)
    }
}
