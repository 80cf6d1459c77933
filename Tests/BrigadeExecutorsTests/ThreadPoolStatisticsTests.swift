import BrigadeExecutors
import Testing

/// The statistics snapshot, step by step.
@Suite("ThreadPool statistics")
struct ThreadPoolStatisticsTests {
    struct Counts: Equatable, CustomStringConvertible {
        var poolSize = 0, active = 0, largest = 0, queued = 0, completed = 0, rejected = 0, cancelled = 0
        init(poolSize: Int = 0, active: Int = 0, largest: Int = 0, queued: Int = 0, completed: Int = 0, rejected: Int = 0, cancelled: Int = 0) {
            (self.poolSize, self.active, self.largest, self.queued) = (poolSize, active, largest, queued)
            (self.completed, self.rejected, self.cancelled) = (completed, rejected, cancelled)
        }
        init(_ stats: ThreadPool.Statistics) {
            self.init(
                poolSize: stats.poolSize, active: stats.active, largest: stats.largestPoolSize, queued: stats.queued,
                completed: stats.completed, rejected: stats.rejected, cancelled: stats.cancelled)
        }
        var description: String {
            "size \(poolSize) active \(active) largest \(largest) queued \(queued) completed \(completed) rejected \(rejected) cancelled \(cancelled)"
        }
    }

    @Test func countersAreCorrectAtEachStep() throws {
        let pool = try makePool("stats", max: 2, queue: 1)
        let gate = Latch(), started = Latch(count: 2)
        defer { pool.tearDown(opening: gate) }
        func counts() -> Counts { Counts(pool.statistics) }
        #expect(counts() == Counts())

        try pool.executeBlocking(started: started, until: gate)
        #expect(counts() == Counts(poolSize: 1, active: 1, largest: 1))
        try pool.executeBlocking(started: started, until: gate)
        #expect(counts() == Counts(poolSize: 2, active: 2, largest: 2))
        #expect(started.wait())

        let queued = try pool.executeBlocking(until: gate)
        #expect(counts() == Counts(poolSize: 2, active: 2, largest: 2, queued: 1))

        #expect(throws: RejectedExecutionError.self) { try pool.execute {} }
        #expect(counts() == Counts(poolSize: 2, active: 2, largest: 2, queued: 1, rejected: 1))

        #expect(pool.cancel(queued))
        #expect(counts() == Counts(poolSize: 2, active: 2, largest: 2, rejected: 1, cancelled: 1))

        try pool.executeBlocking(until: gate)
        #expect(counts() == Counts(poolSize: 2, active: 2, largest: 2, queued: 1, rejected: 1, cancelled: 1))

        gate.open()
        #expect(eventually { pool.statistics.completed == 3 })
        #expect(counts() == Counts(poolSize: 2, largest: 2, completed: 3, rejected: 1, cancelled: 1))

        pool.shutdown()
        #expect(pool.awaitTermination(timeout: .seconds(10)))
        #expect(counts() == Counts(largest: 2, completed: 3, rejected: 1, cancelled: 1))
    }

    @Test func snapshotCarriesTheLimitsAndTimings() throws {
        let pool = try makePool("limits", core: 1, max: 3, queue: 7)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        try pool.executeBlocking(until: gate)
        try pool.executeBlocking(until: gate)
        try pool.execute {}  // queued behind three blocked tasks
        gate.open()
        #expect(eventually { pool.statistics.completed == 4 })

        let stats = pool.statistics
        #expect(stats.name == "limits")
        #expect(stats.coreThreads == 1)
        #expect(stats.maxThreads == 3)
        #expect(stats.queueCapacity == 7)
        #expect(stats.totalServiceNanoseconds > 0)
        #expect(stats.totalQueueWaitNanoseconds > 0)
    }
}
