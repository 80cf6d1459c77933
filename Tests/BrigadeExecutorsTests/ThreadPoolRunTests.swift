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

    @Test func manyRunsOnAOneThreadPoolLeaveSwiftsPoolFree() async throws {
        // Twenty tasks await blocking work on one back thread, which is stuck: were `run` to
        // block its caller, they would hold every thread of Swift's cooperative pool (as many
        // as cores) and nothing else could progress until the gate opened.
        let pool = try pool("run-many", threads: 1, queue: 100)
        defer { pool.shutdown() }
        let gate = Latch()
        let gateOpenedByTimer = Atomic(false)
        let timer = DispatchWorkItem {
            gateOpenedByTimer.store(true, ordering: .relaxed)
            gate.open()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + 20, execute: timer)  // a bug fails, never hangs
        let runs = (0..<20).map { index in
            Task { try await pool.run { () -> Int in
                gate.wait(timeout: .seconds(30))
                return index
            } }
        }
        while pool.statistics.queued < 19 { await Task.yield() }
        // Other async work progresses meanwhile: many tasks, each suspending several times.
        let progressed = await withTaskGroup(of: Int.self) { group in
            for index in 0..<100 {
                group.addTask {
                    for _ in 0..<10 { await Task.yield() }
                    return index
                }
            }
            return await group.reduce(0) { $0 + $1 }
        }
        let openedByTimer = gateOpenedByTimer.load(ordering: .relaxed)
        #expect(progressed == 4950)
        #expect(!openedByTimer, "other tasks waited for the blocked runs")
        timer.cancel()
        gate.open()
        var results: [Int] = []
        for run in runs { results.append(try await run.value) }
        #expect(results == Array(0..<20))
    }

    @Test func theContextsDeadlineAndValuesTravelAndItsCancellationReachesRunningWork() async throws {
        enum Tenant: WorkContextKey { typealias Value = String }
        let pool = try pool("run-parent")
        defer { pool.shutdown() }
        var context = WorkContext(requestID: "r-2", logger: Logger(label: "test"), deadline: .now + .seconds(60))
        context[Tenant.self] = "acme"
        let deadline = context.deadline
        let started = Completable<Void>()  // awaited: never block a Swift concurrency thread
        let run = Task { [context] in
            try await WorkContext.$current.withValue(context) {
                try await pool.run { () -> (String?, ContinuousClock.Instant?, String?) in
                    let current = WorkContext.current
                    started.succeed(())
                    let reason = current.flatMap { waitForCancellation(of: $0.cancellation) }
                    return (current?[Tenant.self], current?.deadline, reason)
                }
            }
        }
        try await started.value
        context.cancellation.cancel(reason: "request timed out")
        let (tenant, seenDeadline, reason) = try await run.value
        #expect(tenant == "acme")
        #expect(seenDeadline == deadline)
        #expect(reason == "request timed out")
    }

    @Test func theWorkHasASignalOfItsOwn() async throws {
        // Cancelling one run's work must not cancel the request it belongs to.
        let pool = try pool("run-own-signal")
        defer { pool.shutdown() }
        let context = WorkContext(requestID: "r-3", logger: Logger(label: "test"))
        let inner = try await WorkContext.$current.withValue(context) {
            try await pool.run { WorkContext.current?.cancellation }
        }
        let signal = try #require(inner)
        #expect(signal !== context.cancellation)
        signal.cancel(reason: "only the work")
        #expect(!context.cancellation.isCancelled)
    }

    @Test func cancellingTheTaskFiresRunningWorksSignal() async throws {
        let pool = try pool("run-cancel-running")
        defer { pool.shutdown() }
        let started = Completable<Void>()
        let run = Task {
            try await pool.run { () -> String? in
                started.succeed(())
                return WorkContext.current.flatMap { waitForCancellation(of: $0.cancellation) }
            }
        }
        try await started.value
        run.cancel()
        // The work ran: its own outcome comes back — here, that it saw the cancellation.
        #expect(try await run.value == "the awaiting task was cancelled")
    }

    @Test func aTaskCancelledBeforehandStartsNothing() async throws {
        let pool = try pool("run-cancelled-before")
        defer { pool.shutdown() }
        let ran = Atomic(false)
        let run = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await pool.run { ran.store(true, ordering: .relaxed) }
        }
        await #expect(throws: CancellationError.self) { try await run.value }
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
        #expect(pool.statistics.completed == 0)
    }

    @Test(arguments: [RejectionPolicy.abort, .callerRuns])
    func aSaturatedPoolAnswersWithASaturationErrorWhateverItsPolicy(_ policy: RejectionPolicy) async throws {
        let pool = try ThreadPool(configuration: .init(
            name: "run-saturated", tier: .back("run-saturated"), coreThreads: 0, maxThreads: 1, queueCapacity: 0,
            rejectionPolicy: policy))
        let gate = Latch()
        let started = Completable<Void>()
        try pool.execute {
            started.succeed(())
            gate.wait()
        }
        try await started.value
        let ranOn = Recorder<ThreadTier>()
        do {
            try await pool.run { ranOn.record(ThreadTier.current) }
            Issue.record("a saturated pool accepted the work")
        } catch let error as RejectedExecutionError {
            #expect(error.reason == .saturated)
            #expect((error as any Error) is any SaturationError)
        }
        #expect(ranOn.all.isEmpty, "never on the caller's thread")
        gate.open()
        pool.shutdown()
    }
}

/// Waits (blocking the calling pool thread) until `signal` is cancelled, at most 10 s.
/// - Returns: The reason, or `nil` when it was not cancelled in time.
private func waitForCancellation(of signal: CancellationSignal) -> String? {
    let cancelled = DispatchSemaphore(value: 0)
    let registration = signal.onCancel { _ in cancelled.signal() }
    defer { signal.remove(registration) }
    guard cancelled.wait(timeout: .now() + 10) == .success || signal.isCancelled else { return nil }
    return signal.reason
}

