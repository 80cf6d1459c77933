#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import DequeModule

/// A bounded pool of OS threads: the front pool and every back executor are one of these.
///
/// The rules, in order, when work is submitted:
/// 1. an idle thread takes it at once (the most recently idle one, whose caches are warm);
/// 2. otherwise, below ``Configuration/maxThreads``, a new thread is started for it —
///    threads grow to the maximum *before* anything queues (unlike Java's `ThreadPoolExecutor`);
/// 3. otherwise it waits in a queue of at most ``Configuration/queueCapacity`` tasks;
/// 4. otherwise it is rejected by the ``Configuration/rejectionPolicy``.
///
/// Threads above ``Configuration/coreThreads`` exit after ``Configuration/keepAlive`` of
/// idleness; core threads are started at once and stay. A thread that finishes a task takes
/// the next queued one without sleeping. The ``WorkContext`` current at submission is
/// installed on the thread that runs the task.
///
/// All methods are thread-safe; none blocks except ``awaitTermination(timeout:)``.
public final class ThreadPool: @unchecked Sendable {
    // @unchecked Sendable: every mutable stored property below is read and written only with
    // `lock` held (see `Core`); worker threads own nothing else that is shared.

    /// A handle on submitted work, to take it back out of the queue before it starts.
    public struct Ticket: Sendable, Hashable {
        /// The pool-wide id of the task.
        public let id: UInt64
    }

    private enum RunState { case running, shuttingDown }

    private struct Job {
        let id: UInt64
        let body: @Sendable () -> Void
        let context: WorkContext?
        let enqueuedAt: UInt64
        let onDiscard: (@Sendable (RejectedExecutionError.Reason) -> Void)?
    }

    private final class Worker: @unchecked Sendable {
        // @unchecked Sendable: `handoff` is only touched with the pool's lock held; `wake` is a
        // condition variable, thread-safe by itself.
        let wake: PThreadLock.Condition
        var handoff: Job?  // protected by the pool's lock
        init(lock: PThreadLock) { wake = PThreadLock.Condition(lock) }
    }

    /// Everything mutable, protected by `lock`.
    private struct Core {
        var configuration: Configuration
        var runState = RunState.running
        var queue = Deque<Job>()
        var idle: [Worker] = []
        var threads = 0
        var active = 0
        var largest = 0
        var completed = 0
        var rejected = 0
        var cancelled = 0
        var nextJobID: UInt64 = 0
        var nextThreadNumber = 0
        var queueWaitNanos: UInt64 = 0
        var serviceNanos: UInt64 = 0
    }

    private let lock = PThreadLock()
    private let terminated: PThreadLock.Condition
    private var core: Core  // protected by lock
    /// The pool's name (also the prefix of its threads' names).
    public let name: String

    /// Creates the pool and starts its core threads.
    /// - Parameter configuration: Sizes and policies; validated here.
    /// - Throws: ``ConfigurationError`` when a value is invalid.
    public init(configuration: Configuration) throws(ConfigurationError) {
        try configuration.validate()
        self.name = configuration.name
        self.core = Core(configuration: configuration)
        self.terminated = PThreadLock.Condition(lock)
        let starts = lock.withLock { () -> [Worker] in
            (0..<configuration.coreThreads).map { _ in reserveThreadLocked() }
        }
        for worker in starts { startThread(worker, first: nil) }
    }

    /// The configuration in force (it changes with ``resize(coreThreads:maxThreads:queueCapacity:)``).
    public var configuration: Configuration { lock.withLock { core.configuration } }

    // MARK: submitting

    /// Runs `body` on a pool thread, or queues it, or rejects it.
    ///
    /// The calling thread's ``WorkContext/current`` is captured and installed while `body` runs.
    /// - Parameters:
    ///   - body: The work; it must not throw (catch inside it).
    ///   - onDiscard: Called if the task is dropped from the queue without running (shutdown,
    ///     or its context was cancelled); not called for ``cancel(_:)``.
    /// - Returns: A ticket for ``cancel(_:)``.
    /// - Throws: ``RejectedExecutionError`` when the pool is saturated (policy `abort`) or
    ///   shut down. With policy `callerRuns`, a saturated pool runs `body` on the caller instead.
    @discardableResult
    public func execute(
        onDiscard: (@Sendable (RejectedExecutionError.Reason) -> Void)? = nil,
        _ body: @escaping @Sendable () -> Void
    ) throws(RejectedExecutionError) -> Ticket {
        let context = WorkContext.current
        let now = monotonicNanoseconds()
        enum Decision { case handedOff(Worker), startThread(Worker), queued, reject(RejectedExecutionError.Reason, RejectionPolicy) }
        lock.lock()
        core.nextJobID &+= 1
        let job = Job(id: core.nextJobID, body: body, context: context, enqueuedAt: now, onDiscard: onDiscard)
        let decision: Decision
        if core.runState != .running {
            core.rejected += 1
            decision = .reject(.shutdown, .abort)
        } else if let worker = core.idle.popLast() {
            worker.handoff = job
            core.active += 1
            decision = .handedOff(worker)
        } else if core.threads < core.configuration.maxThreads {
            let worker = reserveThreadLocked()
            core.active += 1
            decision = .startThread(worker)
        } else if core.queue.count < core.configuration.queueCapacity {
            core.queue.append(job)
            decision = .queued
        } else {
            core.rejected += 1
            decision = .reject(.saturated, core.configuration.rejectionPolicy)
        }
        lock.unlock()

        switch decision {
        case .handedOff(let worker):
            worker.wake.signal()
        case .startThread(let worker):
            startThread(worker, first: job)
        case .queued:
            break
        case .reject(.saturated, .callerRuns):
            run(job)
        case .reject(let reason, _):
            throw RejectedExecutionError(pool: name, reason: reason)
        }
        return Ticket(id: job.id)
    }

    /// Takes a task out of the queue if it has not started.
    /// - Parameter ticket: What ``execute(onDiscard:_:)`` returned.
    /// - Returns: `true` if the task was still queued and will never run.
    @discardableResult
    public func cancel(_ ticket: Ticket) -> Bool {
        lock.withLock {
            guard let index = core.queue.firstIndex(where: { $0.id == ticket.id }) else { return false }
            core.queue.remove(at: index)
            core.cancelled += 1
            return true
        }
    }

    // MARK: observing and tuning

    /// A consistent snapshot of the pool's counters.
    public var statistics: Statistics {
        lock.withLock {
            Statistics(
                name: name, poolSize: core.threads, active: core.active, largestPoolSize: core.largest,
                queued: core.queue.count, completed: core.completed, rejected: core.rejected,
                cancelled: core.cancelled, coreThreads: core.configuration.coreThreads,
                maxThreads: core.configuration.maxThreads, queueCapacity: core.configuration.queueCapacity,
                totalQueueWaitNanoseconds: core.queueWaitNanos, totalServiceNanoseconds: core.serviceNanos)
        }
    }

    /// Changes the sizes of the running pool without dropping work.
    ///
    /// A larger core starts threads at once; a smaller maximum lets busy threads finish their
    /// task and then exit; a smaller queue keeps what is queued but admits nothing until it
    /// drains below the new capacity.
    /// - Throws: ``ConfigurationError`` when the new values are invalid; nothing changes then.
    public func resize(coreThreads: Int? = nil, maxThreads: Int? = nil, queueCapacity: Int? = nil) throws(ConfigurationError) {
        let result: Result<[Worker], ConfigurationError> = lock.withLock {
            var updated = core.configuration
            if let coreThreads { updated.coreThreads = coreThreads }
            if let maxThreads { updated.maxThreads = maxThreads }
            if let queueCapacity { updated.queueCapacity = queueCapacity }
            do throws(ConfigurationError) { try updated.validate() } catch { return .failure(error) }
            core.configuration = updated
            var starts: [Worker] = []
            while core.threads < updated.coreThreads, core.runState == .running {
                starts.append(reserveThreadLocked())
            }
            // Move queued work onto new threads up to the new maximum.
            var extra = max(0, updated.maxThreads - core.threads)
            while extra > 0, !core.queue.isEmpty, core.runState == .running {
                let worker = reserveThreadLocked()
                worker.handoff = core.queue.removeFirst()
                starts.append(worker)
                extra -= 1
            }
            // Wake every idle thread so those above the new limits can leave.
            for worker in core.idle { worker.wake.signal() }
            return .success(starts)
        }
        let starts = try result.get()
        for worker in starts {
            let first = lock.withLock { () -> Job? in
                defer { worker.handoff = nil }
                if worker.handoff != nil { core.active += 1 }
                return worker.handoff
            }
            startThread(worker, first: first)
        }
    }

    // MARK: shutting down

    /// Stops accepting work; queued and running tasks still finish. Returns at once.
    public func shutdown() {
        let idle = lock.withLock { () -> [Worker] in
            core.runState = .shuttingDown
            if core.threads == 0 { terminated.broadcast() }
            return core.idle
        }
        for worker in idle { worker.wake.signal() }
    }

    /// Stops accepting work and drops every queued task (their `onDiscard` runs with
    /// `.shutdown`). Running tasks finish — OS threads cannot be interrupted.
    /// - Returns: How many queued tasks were dropped.
    @discardableResult
    public func shutdownNow() -> Int {
        let (idle, dropped) = lock.withLock { () -> ([Worker], [Job]) in
            core.runState = .shuttingDown
            let dropped = Array(core.queue)
            core.queue.removeAll()
            core.cancelled += dropped.count
            if core.threads == 0 { terminated.broadcast() }
            return (core.idle, dropped)
        }
        for worker in idle { worker.wake.signal() }
        for job in dropped { job.onDiscard?(.shutdown) }
        return dropped.count
    }

    /// Blocks until every thread has exited after a shutdown, or until `timeout` passes.
    /// - Returns: `true` if the pool terminated in time.
    @discardableResult
    public func awaitTermination(timeout: Duration) -> Bool {
        let deadline = monotonicNanoseconds() &+ timeout.nanoseconds
        return lock.withLock {
            while !(core.runState == .shuttingDown && core.threads == 0) {
                if !terminated.wait(untilUptimeNanoseconds: deadline), monotonicNanoseconds() >= deadline {
                    return core.runState == .shuttingDown && core.threads == 0
                }
            }
            return true
        }
    }

    /// Graceful shutdown: stops accepting, lets queued and running work finish until
    /// `timeout`, then drops what is still queued.
    ///
    /// Waits on a separate thread, so the calling task's executor is never blocked.
    /// - Returns: `true` if everything finished within `timeout`.
    public func shutdownGracefully(timeout: Duration) async -> Bool {
        shutdown()
        let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Self.detachThread { continuation.resume(returning: self.awaitTermination(timeout: timeout)) }
        }
        if !finished { shutdownNow() }
        return finished
    }

    // MARK: threads

    /// Counts a new thread; called with the lock held.
    private func reserveThreadLocked() -> Worker {
        core.threads += 1
        core.largest = max(core.largest, core.threads)
        return Worker(lock: lock)
    }

    private func startThread(_ worker: Worker, first: Job?) {
        let number = lock.withLock { () -> Int in
            core.nextThreadNumber += 1
            return core.nextThreadNumber
        }
        let identity = ThreadIdentity(tier: core.configuration.tier, name: "\(name)-\(number)")
        Self.detachThread { [self] in
            ThreadIdentity.set(identity)
            workerLoop(worker, first: first)
        }
    }

    private func run(_ job: Job) {
        if let context = job.context {
            WorkContext.$current.withValue(context) { job.body() }
        } else {
            job.body()
        }
    }

    private func workerLoop(_ worker: Worker, first: Job?) {
        var job = first
        while true {
            if let current = job {
                let started = monotonicNanoseconds()
                run(current)
                let elapsed = monotonicNanoseconds() &- started
                lock.lock()
                core.completed += 1
                core.active -= 1
                core.serviceNanos &+= elapsed
                job = nil
            } else {
                lock.lock()
            }
            // The lock is held from here until the next task is chosen or the thread exits.
            guard let next = nextJobLocked(worker) else {
                core.threads -= 1
                if core.threads == 0, core.runState == .shuttingDown { terminated.broadcast() }
                let discarded = discardedLocked()
                lock.unlock()
                discarded.forEach { $0.onDiscard?(.shutdown) }
                return
            }
            lock.unlock()
            job = next
        }
    }

    private func discardedLocked() -> [Job] { [] }

    /// Chooses the thread's next task, waiting idle if there is none; `nil` means exit.
    /// Called and returns with the lock held; counts the returned task as active.
    private func nextJobLocked(_ worker: Worker) -> Job? {
        while true {
            if core.threads > core.configuration.maxThreads { return nil }
            if let next = core.queue.popFirst() {
                if let context = next.context, context.cancellation.isCancelled {
                    core.cancelled += 1
                    let discard = next.onDiscard
                    lock.unlock()
                    discard?(.shutdown)
                    lock.lock()
                    continue
                }
                core.active += 1
                core.queueWaitNanos &+= monotonicNanoseconds() &- next.enqueuedAt
                return next
            }
            if core.runState != .running { return nil }

            core.idle.append(worker)
            let timed = core.threads > core.configuration.coreThreads
            let deadline = monotonicNanoseconds() &+ core.configuration.keepAlive.nanoseconds
            var timedOut = false
            while worker.handoff == nil, core.runState == .running,
                  core.threads <= core.configuration.maxThreads {
                if timed {
                    if !worker.wake.wait(untilUptimeNanoseconds: deadline), monotonicNanoseconds() >= deadline {
                        timedOut = true
                        break
                    }
                } else {
                    worker.wake.wait()
                }
            }
            if let handed = worker.handoff {
                worker.handoff = nil  // the submitter already took us off `idle` and counted us active
                return handed
            }
            if let index = core.idle.lastIndex(where: { $0 === worker }) { core.idle.remove(at: index) }
            if timedOut, core.threads > core.configuration.coreThreads { return nil }
        }
    }

    /// Starts a detached pthread running `body`.
    static func detachThread(_ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `UInt64.max`; negative is zero.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
