@testable import BrigadeExecutors
import Foundation
import Logging
import Synchronization
import Testing

/// `ThreadPool.run`: blocking work awaited from async code, never on the caller's thread.
@Suite struct ThreadPoolRunTests {
    private func pool(_ name: String, threads: Int = 1, queue: Int = 10) throws -> ThreadPool {
        try ThreadPool(configuration: .init(name: name, tier: .back(name), coreThreads: 0, maxThreads: threads, queueCapacity: queue))
    }

    @Test func theBodyRunsOnAPoolThreadWithTheTasksContext() async throws {
        let pool = try pool("run-context")
        defer { pool.shutdown() }
        let context = WorkContext(requestID: "r-1", logger: Logger(label: "test"))
        let (tier, requestID) = try await WorkContext.$current.withValue(context) {
            try await pool.run { (ThreadTier.current, WorkContext.current?.requestID) }
        }
        #expect(tier == .back("run-context"))
        #expect(requestID == "r-1")
    }

    @Test func theBodysErrorComesBack() async throws {
        struct Boom: Error {}
        let pool = try pool("run-error")
        defer { pool.shutdown() }
        await #expect(throws: Boom.self) { try await pool.run { throw Boom() } }
    }

    @Test func aPoolThatRefusesNeverRunsTheBodyOnTheCaller() async throws {
        // The review's D8: the management pool's fallback ran blocking start-up checks on the
        // calling Swift concurrency thread when the pool refused them.
        let pool = try pool("run-refused")
        pool.shutdown()
        let ran = Atomic(false)
        await #expect(throws: RejectedExecutionError.self) { try await pool.run { ran.store(true, ordering: .relaxed) } }
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }

    @Test func cancellingTheTaskTakesQueuedWorkBack() async throws {
        let pool = try pool("run-cancel", threads: 1)
        defer { pool.shutdown() }
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        try pool.execute {
            started.signal()
            release.wait()
        }
        started.wait()  // the only thread is busy: the next body queues
        let ran = Atomic(false)
        let queued = Task { try await pool.run { ran.store(true, ordering: .relaxed) } }
        while pool.statistics.queued == 0 { await Task.yield() }
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        release.signal()
        // The cancelled body was taken out of the queue: a later body runs, it never does.
        try await pool.run {}
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }
}
