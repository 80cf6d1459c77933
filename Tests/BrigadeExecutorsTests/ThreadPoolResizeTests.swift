import BrigadeExecutors
import Testing

/// Changing a running pool's sizes.
@Suite("ThreadPool resize")
struct ThreadPoolResizeTests {
    @Test func growingMaxStartsThreadsForQueuedWork() throws {
        let pool = try makePool(max: 1, queue: 10)
        let gate = Latch(), started = Latch(count: 3)
        defer { pool.tearDown(opening: gate) }
        for _ in 0..<3 { try pool.executeBlocking(started: started, until: gate) }
        #expect(pool.statistics.queued == 2)

        try pool.resize(maxThreads: 3)

        #expect(started.wait(), "the queued tasks start while the first still blocks")
        let stats = pool.statistics
        #expect(stats.poolSize == 3)
        #expect(stats.active == 3)
        #expect(stats.queued == 0)
        #expect(stats.maxThreads == 3)
    }

    @Test func shrinkingMaxLetsBusyThreadsFinishThenLeave() throws {
        let pool = try makePool(max: 3, queue: 10)
        let gate = Latch(), started = Latch(count: 3)
        defer { pool.tearDown(opening: gate) }
        for _ in 0..<3 { try pool.executeBlocking(started: started, until: gate) }
        #expect(started.wait())

        try pool.resize(maxThreads: 1)
        #expect(pool.statistics.poolSize == 3, "busy threads are not interrupted")
        #expect(pool.statistics.active == 3)
        let after = Latch()
        try pool.execute { after.countDown() }
        #expect(pool.statistics.queued == 1, "no new thread above the new maximum")

        gate.open()
        #expect(after.wait())
        #expect(eventually { pool.statistics.poolSize == 1 && pool.statistics.completed == 4 })
    }

    @Test func shrinkingMaxRetiresIdleThreadsAtOnce() throws {
        let pool = try makePool(max: 3)
        let gate = Latch(), started = Latch(count: 3)
        defer { pool.tearDown(opening: gate) }
        for _ in 0..<3 { try pool.executeBlocking(started: started, until: gate) }
        #expect(started.wait())
        gate.open()
        #expect(eventually { pool.statistics.completed == 3 })

        try pool.resize(maxThreads: 1)

        // The keep-alive is a minute: only the resize can make them leave this soon.
        #expect(eventually { pool.statistics.poolSize == 1 })
        let done = Latch()
        try pool.execute { done.countDown() }
        #expect(done.wait(), "the thread that stays still takes work")
        #expect(pool.statistics.poolSize == 1)
    }

    @Test func growingCoreStartsThreadsAtOnce() throws {
        let pool = try makePool(core: 0, max: 4)
        let gate = Latch(), started = Latch(count: 3)
        defer { pool.tearDown(opening: gate) }

        try pool.resize(coreThreads: 3)
        #expect(pool.statistics.poolSize == 3)
        #expect(pool.statistics.coreThreads == 3)

        for _ in 0..<3 { try pool.executeBlocking(started: started, until: gate) }
        #expect(started.wait())
        #expect(pool.statistics.largestPoolSize == 3, "the new core threads took the work")
    }

    @Test func shrinkingCoreLetsIdleThreadsExitAfterKeepAlive() throws {
        let pool = try makePool(core: 3, max: 3, keepAlive: .milliseconds(30))
        defer { pool.tearDown() }
        // Make sure the core threads are parked, waiting with no keep-alive.
        let done = Latch(count: 3), gate = Latch()
        for _ in 0..<3 { try pool.executeBlocking(started: done, until: gate) }
        #expect(done.wait())
        gate.open()
        #expect(eventually { pool.statistics.completed == 3 })

        try pool.resize(coreThreads: 1)

        #expect(eventually { pool.statistics.poolSize == 1 })
    }

    @Test func growingCoreStopsTheKeepAliveOfIdleThreads() throws {
        let pool = try makePool(core: 0, max: 2, keepAlive: .milliseconds(100))
        defer { pool.tearDown() }
        let gate = Latch(), started = Latch(count: 2)
        for _ in 0..<2 { try pool.executeBlocking(started: started, until: gate) }
        #expect(started.wait())
        gate.open()
        #expect(eventually { pool.statistics.completed == 2 })

        try pool.resize(coreThreads: 2)

        #expect(!eventually(timeout: .milliseconds(400)) { pool.statistics.poolSize != 2 })
    }

    @Test func invalidResizeIsRejectedWithAMessageAndChangesNothing() throws {
        let pool = try makePool("sized", core: 1, max: 2, queue: 5)
        defer { pool.tearDown() }
        let before = pool.configuration

        let core = #expect(throws: ConfigurationError.self) { try pool.resize(coreThreads: 3) }
        #expect(core?.message.contains("core threads") == true)
        let max = #expect(throws: ConfigurationError.self) { try pool.resize(coreThreads: 0, maxThreads: 0) }
        #expect(max?.message.contains("max threads") == true)
        let queue = #expect(throws: ConfigurationError.self) { try pool.resize(maxThreads: 4, queueCapacity: -1) }
        #expect(queue?.message.contains("queue capacity") == true)

        #expect(pool.configuration == before)
        #expect(pool.statistics.poolSize == 1)
    }

    @Test func shrinkingTheQueueKeepsQueuedWorkButAdmitsNothingUntilItDrains() throws {
        let pool = try makePool(max: 1, queue: 5)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let ran = Counter()
        for _ in 0..<3 { try pool.execute { ran.increment() } }

        try pool.resize(queueCapacity: 1)
        #expect(pool.statistics.queued == 3)
        let error = #expect(throws: RejectedExecutionError.self) { try pool.execute {} }
        #expect(error?.reason == .saturated)

        gate.open()
        #expect(eventually { pool.statistics.completed == 4 })
        #expect(ran.value == 3)
    }
}
