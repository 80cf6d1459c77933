import BrigadeExecutors
import Testing

/// The pool's growth rules: core threads, growth to max before queueing, the bounded queue,
/// rejection, idle reuse and keep-alive.
@Suite("ThreadPool sizing")
struct ThreadPoolSizingTests {
    @Test func coreThreadsAreStartedBeforeAnyTask() throws {
        let pool = try makePool(core: 3, max: 5)
        defer { pool.tearDown() }

        let stats = pool.statistics
        #expect(stats.poolSize == 3)
        #expect(stats.largestPoolSize == 3)
        #expect(stats.active == 0)
        #expect(stats.completed == 0)
    }

    @Test func tasksSubmittedRightAfterInitAreHandedToCoreThreadsWithoutStartingMore() throws {
        let pool = try makePool(core: 3, max: 5)
        let gate = Latch(), started = Latch(count: 3)
        defer { pool.tearDown(opening: gate) }

        // The core threads may not have reached their first wait yet: they still take the work.
        for _ in 0..<3 { try pool.executeBlocking(started: started, until: gate) }

        #expect(started.wait())
        #expect(pool.statistics.poolSize == 3)
        #expect(pool.statistics.largestPoolSize == 3)
    }

    @Test func threadsGrowToMaxBeforeAnythingQueues() throws {
        let pool = try makePool(core: 0, max: 4, queue: 10)
        let gate = Latch(), started = Latch(count: 4)
        defer { pool.tearDown(opening: gate) }

        for _ in 0..<4 { try pool.executeBlocking(started: started, until: gate) }
        #expect(started.wait(), "all four run at once: none waited in the queue")
        var stats = pool.statistics
        #expect(stats.poolSize == 4)
        #expect(stats.active == 4)
        #expect(stats.queued == 0)

        try pool.executeBlocking(until: gate)
        try pool.executeBlocking(until: gate)
        stats = pool.statistics
        #expect(stats.poolSize == 4)
        #expect(stats.queued == 2)
    }

    @Test func saturatedPoolRejectsAtOnceWithSaturated() throws {
        let pool = try makePool(max: 2, queue: 2)
        let gate = Latch(), ran = Counter()
        defer { pool.tearDown(opening: gate) }

        var accepted = 0
        var reasons: [RejectedExecutionError.Reason] = []
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<10 {
                do {
                    try pool.executeBlocking(until: gate) { ran.increment() }
                    accepted += 1
                } catch let error as RejectedExecutionError {
                    reasons.append(error.reason)
                } catch {
                    Issue.record(error)
                }
            }
        }

        #expect(accepted == 4)
        #expect(reasons == Array(repeating: .saturated, count: 6))
        #expect(elapsed < .seconds(2), "rejection must not wait for a thread")
        let stats = pool.statistics
        #expect(stats.rejected == 6)
        #expect(stats.active == 2)
        #expect(stats.queued == 2)

        gate.open()
        #expect(eventually { pool.statistics.completed == 4 })
        #expect(ran.value == 4)
    }

    @Test func rejectionErrorNamesThePoolAndReason() throws {
        let pool = try makePool("reports", max: 1, queue: 0)
        let gate = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(until: gate)

        let error = #expect(throws: RejectedExecutionError.self) { try pool.execute {} }
        #expect(error?.pool == "reports")
        #expect(error?.reason == .saturated)
        #expect(error?.description.contains("reports") == true)
    }

    @Test func callerRunsRunsTheTaskOnTheSubmittingThreadWhenSaturated() throws {
        let pool = try makePool(max: 1, queue: 0, policy: .callerRuns)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())

        let names = Recorder<String>(), tiers = Recorder<ThreadTier>()
        try pool.execute {
            names.record(ThreadTier.currentThreadName)
            tiers.record(ThreadTier.current)
        }

        // It ran before `execute` returned, on this thread.
        #expect(names.all == [ThreadTier.currentThreadName])
        #expect(tiers.all == [.unmanaged])
        #expect(pool.statistics.rejected == 1)
        #expect(pool.statistics.poolSize == 1)
    }

    @Test func callerRunsPoolUsesItsThreadsWhileNotSaturated() throws {
        let pool = try makePool("cr", tier: .back("cr"), max: 1, queue: 0, policy: .callerRuns)
        defer { pool.tearDown() }
        let done = Latch(), tiers = Recorder<ThreadTier>()

        try pool.execute {
            tiers.record(ThreadTier.current)
            done.countDown()
        }

        #expect(done.wait())
        #expect(tiers.all == [.back("cr")])
        #expect(pool.statistics.rejected == 0)
    }

    @Test func idleThreadIsReusedForSequentialTasks() throws {
        let pool = try makePool(core: 0, max: 4)
        defer { pool.tearDown() }
        let names = Recorder<String>()

        for round in 1...5 {
            try pool.execute { names.record(ThreadTier.currentThreadName) }
            // Counted complete and parked in one step, so the next task finds it idle.
            #expect(eventually { pool.statistics.completed == round })
        }

        #expect(Set(names.all).count == 1)
        #expect(pool.statistics.largestPoolSize == 1)
        #expect(pool.statistics.poolSize == 1)
    }

    @Test func mostRecentlyIdleThreadIsHandedWorkFirst() throws {
        let pool = try makePool(core: 0, max: 3)
        defer { pool.tearDown() }
        let gates = [Latch(), Latch(), Latch()], started = Latch(count: 3)
        let names = (0..<3).map { _ in Recorder<String>() }
        for index in 0..<3 {
            try pool.executeBlocking(started: started, until: gates[index]) {
                names[index].record(ThreadTier.currentThreadName)
            }
        }
        #expect(started.wait())

        // Free the threads one at a time: the one running task 2 goes idle last.
        for index in 0..<3 {
            gates[index].open()
            #expect(eventually { pool.statistics.completed == index + 1 })
        }
        let next = Recorder<String>()
        try pool.execute { next.record(ThreadTier.currentThreadName) }
        #expect(eventually { pool.statistics.completed == 4 })

        #expect(next.all == names[2].all)
    }

    @Test func finishedThreadTakesTheNextQueuedTaskWithoutANewThread() throws {
        let pool = try makePool(max: 1, queue: 5)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        let first = Recorder<String>(), order = Recorder<Int>(), names = Recorder<String>()
        try pool.executeBlocking(started: started, until: gate) { first.record(ThreadTier.currentThreadName) }
        #expect(started.wait())
        for index in 1...3 {
            try pool.execute {
                order.record(index)
                names.record(ThreadTier.currentThreadName)
            }
        }
        #expect(pool.statistics.queued == 3)

        gate.open()
        #expect(eventually { pool.statistics.completed == 4 })

        #expect(order.all == [1, 2, 3], "queued tasks run first in, first out")
        #expect(Set(names.all) == Set(first.all))
        #expect(pool.statistics.largestPoolSize == 1)
    }

    @Test func threadsAboveCoreExitAfterKeepAlive() throws {
        let keepAlive = Duration.milliseconds(50)
        let pool = try makePool(core: 1, max: 3, keepAlive: keepAlive)
        let gate = Latch(), started = Latch(count: 3)
        defer { pool.tearDown(opening: gate) }
        for _ in 0..<3 { try pool.executeBlocking(started: started, until: gate) }
        #expect(started.wait())
        #expect(pool.statistics.poolSize == 3)

        let clock = ContinuousClock()
        let released = clock.now
        gate.open()

        #expect(eventually { pool.statistics.poolSize == 1 })
        #expect(clock.now - released >= keepAlive, "no thread may leave before its keep-alive")
        #expect(pool.statistics.completed == 3)
    }

    @Test func coreThreadsStayPastKeepAlive() throws {
        let pool = try makePool(core: 2, max: 3, keepAlive: .milliseconds(20))
        defer { pool.tearDown() }
        let done = Latch(count: 3), gate = Latch()
        for _ in 0..<3 {
            try pool.execute {
                done.countDown()
                gate.wait()
            }
        }
        #expect(done.wait())
        gate.open()
        #expect(eventually { pool.statistics.poolSize == 2 })

        // Watching for a change that must not come: several keep-alives long.
        #expect(!eventually(timeout: .milliseconds(200)) { pool.statistics.poolSize != 2 })

        // The core threads still serve.
        let ran = Latch(count: 2), hold = Latch()
        defer { hold.open() }
        for _ in 0..<2 {
            try pool.execute {
                ran.countDown()
                hold.wait()
            }
        }
        #expect(ran.wait())
        #expect(pool.statistics.poolSize == 2)
    }

    @Test func zeroKeepAliveReleasesThreadsAboveCoreAsSoonAsIdle() throws {
        let pool = try makePool(core: 0, max: 2, keepAlive: .zero)
        defer { pool.tearDown() }

        try pool.execute {}
        #expect(eventually { pool.statistics.completed == 1 && pool.statistics.poolSize == 0 })
        try pool.execute {}
        #expect(eventually { pool.statistics.completed == 2 && pool.statistics.poolSize == 0 })
    }
}
