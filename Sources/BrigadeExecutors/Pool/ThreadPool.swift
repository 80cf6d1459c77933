import CoreMetrics
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
/// installed on the thread that runs the task; a queued task whose context was cancelled is
/// dropped instead of run.
///
/// Threads hold the pool: one that is never shut down lives, with its core threads, until
/// the process ends. Call ``shutdown()`` or ``shutdownGracefully(timeout:)`` when done.
///
/// All methods are thread-safe; none blocks except ``awaitTermination(timeout:)``, and
/// ``execute(onDiscard:_:)`` while it runs a task on the caller (policy `callerRuns`).
public final class ThreadPool: @unchecked Sendable {
    // @unchecked Sendable: `core` is read and written only with `lock` held; the other stored
    // properties are immutable. Worker threads share nothing else.

    /// A handle on submitted work, to take it back out of the queue before it starts.
    public struct Ticket: Sendable, Hashable {
        /// The pool-wide id of the task.
        public let id: UInt64
    }

    enum RunState { case running, shuttingDown }

    struct Job {
        let id: UInt64
        let body: @Sendable () -> Void
        let context: WorkContext?
        let enqueuedAt: UInt64
        let onDiscard: (@Sendable (RejectedExecutionError.Reason) -> Void)?

        /// Whether whoever submitted it no longer wants the result.
        var isCancelled: Bool { context?.cancellation.isCancelled ?? false }
    }

    final class Worker: @unchecked Sendable {
        // @unchecked Sendable: every `var` (handoff, parked, runningJob, blocked, presumedBlocked,
        // waking, schedStat, lastSample) is read and written only with the pool's lock held —
        // by the worker itself, submitters, and the supervisor; `wake` is a condition variable
        // on that lock; `number` and `activity` (Sendable) never change.
        let wake: PThreadLock.Condition
        let number: Int
        /// What the thread runs now, for ``ThreadPool/runningTasks()``.
        let activity: TaskActivity
        /// A task given to this thread while it was parked; the giver counted it active.
        var handoff: Job?
        /// Whether the thread is in `Core.idle`. Whoever takes it out clears this, so a thread
        /// woken for any reason can tell whether it may still be chosen.
        var parked = false
        /// The id of the task the thread runs (or was handed); 0 between tasks.
        var runningJob: UInt64 = 0
        /// Whether the supervisor found the thread blocked in its current task (counted in
        /// `Core.blocked`). Adaptive pools only.
        var blocked = false
        /// Whether the thread was blocked when its last task ended: its next task is presumed
        /// to block too (a pool's tasks are alike) and counts as blocked from its start, until
        /// the supervisor sees the thread run. Otherwise every task would count as running
        /// until its first look, and a pool whose tasks each sleep — with some task always that
        /// new — would stop growing at a few threads.
        var presumedBlocked = false
        /// Whether the thread was woken or started to take queued work and has not looked at
        /// the queue yet (counted in `Core.waking`).
        var waking = false
        /// The thread's scheduling counters, opened by the thread when it starts.
        var schedStat: SchedStat?
        /// The supervisor's last sample of the thread.
        var lastSample: AdaptiveSizing.Sample?

        init(lock: PThreadLock, number: Int, threadName: String) {
            wake = PThreadLock.Condition(lock)
            self.number = number
            self.activity = TaskActivity(threadName: threadName)
        }
    }

    /// Everything mutable, protected by `lock`.
    struct Core {
        var configuration: Configuration
        var runState = RunState.running
        var queue = Deque<Job>()
        /// Parked threads, the most recently parked last (handed work first).
        var idle: [Worker] = []
        var threads = 0
        var active = 0
        /// Of the active tasks, those whose thread the supervisor found blocked.
        var blocked = 0
        /// Threads the supervisor woke or started because others were blocked.
        var addedForBlocked = 0
        /// Threads woken or started for queued work that have not taken it yet. An adaptive
        /// pool counts them as running: otherwise every submission until the first of them
        /// runs would wake yet another thread.
        var waking = 0
        var largest = 0
        var completed = 0
        var rejected = 0
        var cancelled = 0
        var nextJobID: UInt64 = 0
        var nextThreadNumber = 0
        /// Every task's wait from submission to start (a hand-off to an idle thread too).
        var queueWait = LatencyHistogram()
        /// Every task's run time.
        var service = LatencyHistogram()
        /// Every thread alive, by number.
        var workers: [Int: Worker] = [:]
    }


    let lock = PThreadLock()
    let terminated: PThreadLock.Condition
    var core: Core  // protected by lock
    /// The tier of every thread of the pool; fixed, so read without the lock.
    let tier: ThreadTier
    /// Whether threads run under `SCHED_BATCH`; fixed, so read without the lock.
    let batchScheduling: Bool
    /// The pool's name (also the prefix of its threads' names).
    public let name: String
    /// Set when the pool was made with a metrics factory; fixed.
    let timers: PoolTimers?
    /// The policy of an adaptive pool; `nil` for an eager one. Fixed.
    let adaptive: AdaptiveSizing?

    /// Creates the pool and starts its core threads.
    /// - Parameters:
    ///   - configuration: Sizes and policies; validated here.
    ///   - metrics: Where to record every task's queue wait and service time, as the
    ///     swift-metrics timers `brigade_pool_queue_wait_seconds` and
    ///     `brigade_pool_service_seconds` with the dimension `pool`; `nil` records nothing
    ///     beyond ``statistics``.
    /// - Throws: ``ConfigurationError`` when a value is invalid.
    public init(configuration: Configuration, metrics: (any MetricsFactory)? = nil) throws(ConfigurationError) {
        try configuration.validate()
        self.name = configuration.name
        self.timers = metrics.map { PoolTimers(pool: configuration.name, factory: $0) }
        self.tier = configuration.tier
        self.batchScheduling = configuration.batchScheduling
        if case .adaptive(let parallelism) = configuration.sizing {
            self.adaptive = AdaptiveSizing(parallelism: parallelism)
        } else {
            self.adaptive = nil
        }
        self.core = Core(configuration: configuration)
        self.terminated = PThreadLock.Condition(lock)
        let starts = lock.withLock { () -> [Worker] in
            (0..<configuration.coreThreads).map { _ in reserveThreadLocked(parked: true) }
        }
        for worker in starts { startThread(worker, first: nil) }
        if adaptive != nil { PoolSupervisor.shared.register(self) }
    }

    /// The configuration in force (it changes with ``resize(coreThreads:maxThreads:queueCapacity:)``).
    public var configuration: Configuration { lock.withLock { core.configuration } }

    // MARK: submitting

    /// Runs `body` on a pool thread, or queues it, or rejects it.
    ///
    /// The calling thread's ``WorkContext/current`` is captured and installed while `body` runs.
    /// - Parameters:
    ///   - onDiscard: Called if the task is dropped from the queue without running: with
    ///     `.shutdown` by ``shutdownNow()`` or a graceful shutdown that ran out of time, with
    ///     `.cancelled` when its context's ``WorkContext/cancellation`` was signalled while it
    ///     waited. Not called for ``cancel(_:)``. Runs on the thread that dropped it, outside
    ///     the pool's lock.
    ///   - bypassingQueueLimit: For the continuation of work already admitted (an
    ///     asynchronous request's result coming back to be rendered): queued even beyond the
    ///     queue capacity, never refused for saturation — refusing it would drop a request
    ///     the server already accepted. Still refused after shutdown.
    ///   - body: The work; it must not throw (catch inside it). Runs on a pool thread, or on the
    ///     calling thread when the pool is saturated and its policy is `callerRuns`.
    /// - Returns: A ticket for ``cancel(_:)``.
    /// - Throws: ``RejectedExecutionError`` when the pool is saturated (policy `abort`) or
    ///   shut down. With policy `callerRuns`, a saturated pool runs `body` on the caller
    ///   before returning instead.
    @discardableResult
    public func execute(
        onDiscard: (@Sendable (RejectedExecutionError.Reason) -> Void)? = nil,
        bypassingQueueLimit: Bool = false,
        _ body: @escaping @Sendable () -> Void
    ) throws(RejectedExecutionError) -> Ticket {
        try submit(onDiscard: onDiscard, bypassingQueueLimit: bypassingQueueLimit, callerMayRun: true, body)
    }

    /// ``execute(onDiscard:bypassingQueueLimit:_:)``, with `callerMayRun: false` for callers
    /// whose thread must never run the work (a Swift concurrency thread awaiting it): a
    /// saturated pool then rejects whatever its policy.
    package func submit(
        onDiscard: (@Sendable (RejectedExecutionError.Reason) -> Void)?,
        bypassingQueueLimit: Bool,
        callerMayRun: Bool,
        capturingContext: Bool = true,
        _ body: @escaping @Sendable () -> Void
    ) throws(RejectedExecutionError) -> Ticket {
        let context = capturingContext ? WorkContext.current : nil
        let now = monotonicNanoseconds()
        enum Decision {
            case handedOff(Worker), startThread(Worker), queued, runHere, reject(RejectedExecutionError.Reason)
            /// Queued behind earlier work, and a thread woken or started to take the queue's head.
            case queuedAndWoken(Worker), queuedAndStarted(Worker)
        }
        lock.lock()
        core.nextJobID &+= 1
        let job = Job(id: core.nextJobID, body: body, context: context, enqueuedAt: now, onDiscard: onDiscard)
        let decision: Decision
        // An adaptive pool starts a task only while fewer than `parallelism` run unblocked;
        // the others queue and are taken by threads as they finish.
        let admits = adaptive?.admits(active: core.active + core.waking, blocked: core.blocked) ?? true
        if core.runState != .running {
            core.rejected += 1
            decision = .reject(.shutdown)
        } else if admits, !core.queue.isEmpty, !core.idle.isEmpty || core.threads < core.configuration.maxThreads {
            // Work waits (an adaptive pool held it back) and a thread may take some: first come,
            // first served — the new task goes behind it, and the thread takes the queue's head.
            core.queue.append(job)
            if let worker = core.idle.popLast() {
                worker.parked = false
                worker.waking = true
                decision = .queuedAndWoken(worker)
            } else {
                let worker = reserveThreadLocked()
                worker.waking = true
                decision = .queuedAndStarted(worker)
            }
            core.waking += 1
        } else if admits, let worker = core.idle.popLast() {
            worker.parked = false
            worker.handoff = job
            worker.runningJob = job.id
            core.active += 1
            startTaskLocked(worker)
            decision = .handedOff(worker)
        } else if admits, core.threads < core.configuration.maxThreads {
            let worker = reserveThreadLocked()
            worker.runningJob = job.id
            core.active += 1
            decision = .startThread(worker)
        } else if core.queue.count < core.configuration.queueCapacity || bypassingQueueLimit {
            core.queue.append(job)
            decision = .queued
        } else {
            // Counted for either policy: `rejected` measures saturation, whoever then runs it.
            core.rejected += 1
            decision = core.configuration.rejectionPolicy == .callerRuns && callerMayRun ? .runHere : .reject(.saturated)
        }
        lock.unlock()

        switch decision {
        case .handedOff(let worker):
            // Signalled after unlocking so the woken thread does not block on the lock at once;
            // `handoff` is state, so the wake-up cannot be lost.
            worker.wake.signal()
        case .startThread(let worker):
            startThread(worker, first: job)
        case .queued:
            break
        case .queuedAndWoken(let worker):
            worker.wake.signal()
        case .queuedAndStarted(let worker):
            startThread(worker, first: nil)
        case .runHere:
            run(job)
        case .reject(let reason):
            throw RejectedExecutionError(pool: name, reason: reason)
        }
        return Ticket(id: job.id)
    }

    /// Takes a task out of the queue if it has not started. Its `onDiscard` is not called:
    /// the caller knows.
    /// - Parameter ticket: What ``execute(onDiscard:_:)`` returned.
    /// - Returns: `true` if the task was still queued and will never run; `false` if it has
    ///   started, finished, was dropped, or was cancelled already.
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
                totalQueueWaitNanoseconds: core.queueWait.sumNanoseconds, totalServiceNanoseconds: core.service.sumNanoseconds,
                queueWait: core.queueWait, service: core.service, sizing: core.configuration.sizing,
                blocked: core.blocked, addedForBlocked: core.addedForBlocked)
        }
    }

    /// Changes the sizes of the running pool without dropping work.
    ///
    /// A larger core starts threads at once; a larger maximum starts threads for queued work at
    /// once; a smaller maximum lets idle threads above it exit now and busy ones exit after
    /// their task; a smaller core lets idle threads above it exit after ``Configuration/keepAlive``;
    /// a smaller queue keeps what is queued but admits nothing until it drains below the new
    /// capacity. After a shutdown only the recorded limits change.
    /// - Parameters:
    ///   - coreThreads: The new ``Configuration/coreThreads``, or `nil` to keep it.
    ///   - maxThreads: The new ``Configuration/maxThreads``, or `nil` to keep it.
    ///   - queueCapacity: The new ``Configuration/queueCapacity``, or `nil` to keep it.
    /// - Throws: ``ConfigurationError`` when the new values are invalid; nothing changes then.
    public func resize(coreThreads: Int? = nil, maxThreads: Int? = nil, queueCapacity: Int? = nil) throws(ConfigurationError) {
        let outcome = lock.withLock { () -> Result<[Worker], ConfigurationError> in
            // Validated under the lock, against the limits in force, so two concurrent resizes
            // cannot combine into an invalid pair (core above max).
            var updated = core.configuration
            if let coreThreads { updated.coreThreads = coreThreads }
            if let maxThreads { updated.maxThreads = maxThreads }
            if let queueCapacity { updated.queueCapacity = queueCapacity }
            do throws(ConfigurationError) { try updated.validate() } catch { return .failure(error) }
            core.configuration = updated
            guard core.runState == .running else { return .success([]) }

            // Idle threads above the new maximum leave now. Unparked, they can no longer be
            // handed work; woken, they see the pool is too large. The longest idle go first.
            var excess = core.threads - updated.maxThreads
            while excess > 0, !core.idle.isEmpty {
                let retiree = core.idle.removeFirst()
                retiree.parked = false
                retiree.wake.signal()
                excess -= 1
            }
            // The parked ones re-read the limits: a smaller core makes their wait timed.
            for worker in core.idle { worker.wake.signal() }

            // New threads take queued work through the queue, so a task whose context was
            // cancelled is still dropped rather than run. With nothing queued they start parked,
            // like core threads at init.
            let forCore = updated.coreThreads - core.threads
            let forQueue = adaptive == nil ? min(core.queue.count, updated.maxThreads - core.threads) : 0
            let parked = core.queue.isEmpty
            return .success((0..<max(0, forCore, forQueue)).map { _ in reserveThreadLocked(parked: parked) })
        }
        for worker in try outcome.get() { startThread(worker, first: nil) }
    }

    /// Counts a new thread; called with the lock held.
    /// - Parameter parked: Whether to park it at once, before its OS thread runs, so that work
    ///   submitted meanwhile is handed to it rather than starting yet another thread. It goes
    ///   at the bottom of the idle stack: threads already running are warmer.
    func reserveThreadLocked(parked: Bool = false) -> Worker {
        core.threads += 1
        core.largest = max(core.largest, core.threads)
        core.nextThreadNumber += 1
        let worker = Worker(lock: lock, number: core.nextThreadNumber, threadName: "\(name)-\(core.nextThreadNumber)")
        core.workers[worker.number] = worker
        if parked {
            worker.parked = true
            core.idle.insert(worker, at: 0)
        }
        return worker
    }
}
