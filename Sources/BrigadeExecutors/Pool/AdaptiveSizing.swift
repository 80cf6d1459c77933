/// The decisions of an ``PoolSizing/adaptive(parallelism:)`` pool, as pure functions of what
/// its threads are doing — no clock, no threads, no locks of its own — so that they can be
/// tested with made-up samples and read in one place.
///
/// The rule: about `parallelism` threads may be *runnable* (on a CPU, or waiting in the
/// kernel's run queue for one); a thread that runs a task but is *blocked* (sleeping, waiting
/// on a lock, a socket, the disk) does not count. So:
/// - a submitted task is handed to a thread only while fewer than `parallelism` tasks run
///   unblocked; otherwise it queues, and the running threads take it when they finish;
/// - a thread that finishes a task takes the next queued one only if that keeps the runnable
///   count within `parallelism`; otherwise it parks (a surplus left by threads that unblocked);
/// - the supervisor samples the threads that run tasks every few milliseconds and, while work
///   waits, wakes or starts one thread for each runnable slot that blocked threads left free,
///   up to the pool's maximum;
/// - idle threads above the core exit after the keep-alive, as in any pool.
public struct AdaptiveSizing: Sendable, Hashable {
    /// How many threads may be runnable at once.
    public let parallelism: Int

    /// The shortest stretch of one task over which a thread's state is judged.
    public static let minimumWindowNanoseconds: UInt64 = 4_000_000
    /// A thread is blocked when, over the window, it was on the CPU or waiting for one less
    /// than this share of the time.
    public static let runnableShare = 0.5

    /// Creates the policy.
    /// - Parameter parallelism: How many threads may be runnable at once (at least 1).
    public init(parallelism: Int) {
        self.parallelism = max(1, parallelism)
    }

    /// What the kernel says about one thread at one instant: its CPU time and run-queue wait
    /// so far (Linux's `/proc/self/task/<tid>/schedstat`), and which task it runs.
    public struct Sample: Sendable, Hashable {
        /// Nanoseconds on a CPU since the thread started.
        public var onCPU: UInt64
        /// Nanoseconds spent runnable but waiting for a CPU since the thread started.
        public var waitingForCPU: UInt64
        /// When the sample was taken (monotonic nanoseconds).
        public var at: UInt64
        /// An identifier of the task the thread runs (its start time).
        public var task: UInt64

        /// Creates a sample.
        public init(onCPU: UInt64, waitingForCPU: UInt64, at: UInt64, task: UInt64) {
            self.onCPU = onCPU
            self.waitingForCPU = waitingForCPU
            self.at = at
            self.task = task
        }
    }

    /// What a thread running a task was doing between two samples.
    public enum ThreadState: Sendable, Hashable {
        /// On a CPU or waiting for one most of the time.
        case runnable
        /// Off the CPU, not waiting for it, most of the time.
        case blocked
        /// Not enough to tell: a new task, or too short a window.
        case unknown
    }

    /// How long a task must have run before a thread seen sleeping in it counts as blocked,
    /// while the counters cannot tell yet (Go's `sysmon` retakes a processor from a thread in a
    /// system call after 20 µs to 10 ms). Short, because tasks start all the time: with a
    /// longer one, a pool whose tasks each sleep would keep a thread in that first stretch —
    /// counted runnable — at almost every look, and stop growing at a few threads.
    public static let minimumSleepNanoseconds: UInt64 = 200_000

    /// Judges a thread from two samples of the same task — blocked when it was off the CPU and
    /// not waiting for one most of the window, unless it is running now; while they cannot tell
    /// (a task too new for a window), from its state now: running or waiting for a CPU is runnable,
    /// sleeping in the kernel is blocked once its task has run ``minimumSleepNanoseconds``. Without this a pool whose tasks each sleep 100 ms would
    /// almost always hold a thread in its first window — counted runnable — and stop growing.
    /// - Parameters:
    ///   - sleepingNow: Whether the thread sleeps in the kernel at `current` (`nil`: unknown).
    ///   - taskRunningNanoseconds: How long its current task has run.
    public func state(
        from previous: Sample?, to current: Sample, sleepingNow: Bool? = nil, taskRunningNanoseconds: UInt64 = 0
    ) -> ThreadState {
        guard let previous, previous.task == current.task, current.at >= previous.at + Self.minimumWindowNanoseconds else {
            switch sleepingNow {
            case true? where taskRunningNanoseconds >= Self.minimumSleepNanoseconds: return .blocked
            case false?: return .runnable  // on a CPU or waiting for one, now
            default: return .unknown
            }
        }
        let wall = Double(current.at - previous.at)
        let cpu = Double(current.onCPU &- previous.onCPU)
        let queue = Double(current.waitingForCPU &- previous.waitingForCPU)
        guard cpu + queue < wall * Self.runnableShare else { return .runnable }
        // Off the CPU most of the window — but a virtual machine's stolen time shows that way
        // too (neither counter moves while the hypervisor runs someone else): a thread that is
        // running now is not blocked.
        return sleepingNow == false ? .runnable : .blocked
    }

    /// Whether a task may start now rather than queue: fewer than `parallelism` tasks run
    /// unblocked.
    /// - Parameters:
    ///   - active: Tasks running (or handed to a thread).
    ///   - blocked: Of those, the ones whose thread is known to be blocked.
    public func admits(active: Int, blocked: Int) -> Bool {
        active - blocked < parallelism
    }

    /// What the supervisor does for a pool after sampling it.
    public struct Decision: Sendable, Hashable {
        /// Parked threads to hand a queued task each.
        public var wake: Int
        /// Threads to start, each with a queued task.
        public var start: Int

        /// Creates a decision.
        public init(wake: Int, start: Int) {
            self.wake = wake
            self.start = start
        }

        /// Nothing to do.
        public static let none = Decision(wake: 0, start: 0)
    }

    /// How many queued tasks to start, on parked threads first and then on new ones, so that
    /// `parallelism` tasks run unblocked — never beyond `maxThreads` threads.
    public func decide(threads: Int, maxThreads: Int, active: Int, blocked: Int, queued: Int, parked: Int) -> Decision {
        let free = parallelism - (active - blocked)
        let wanted = min(queued, free)
        guard wanted > 0 else { return .none }
        let wake = min(wanted, parked)
        let start = min(wanted - wake, max(0, maxThreads - threads))
        return Decision(wake: wake, start: start)
    }

    /// Whether a thread that just finished a task takes the next queued one, given the tasks
    /// still running on the other threads: only if the runnable count stays within
    /// `parallelism`; otherwise it parks.
    public func takesNext(othersActive: Int, blocked: Int) -> Bool {
        othersActive - blocked < parallelism
    }

    /// Whether an idle thread exits: above the core, once idle for the keep-alive. The rule of
    /// every pool, eager or adaptive.
    public static func retires(threads: Int, coreThreads: Int, idleNanoseconds: UInt64, keepAliveNanoseconds: UInt64) -> Bool {
        threads > coreThreads && idleNanoseconds >= keepAliveNanoseconds
    }
}
