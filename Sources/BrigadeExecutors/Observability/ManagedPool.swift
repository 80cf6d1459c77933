import Logging

/// What a pool serves: the tier it stands for in reports and advice.
public enum PoolKind: String, Sendable, Hashable, Codable {
    /// The front ("container") pool: handlers and rendering.
    case front
    /// A back executor: `Callable`s, `WebAsyncTask`s.
    case back
    /// A database connection pool.
    case database
}

/// A pool's state and counters at one instant, in the same terms for thread pools and
/// connection pools: "size" is threads alive or connections open, "queued" is tasks waiting
/// for a thread or callers waiting for a connection, "service" is how long a task ran or a
/// connection was held.
public struct PoolSnapshot: Sendable, Hashable {
    /// The pool's name (`front`, `back`, `reports`, `database`).
    public var name: String
    /// What the pool serves.
    public var kind: PoolKind
    /// When the snapshot was taken (monotonic nanoseconds, for rates between snapshots).
    public var takenAtNanoseconds: UInt64
    /// Threads alive, or connections open.
    public var size: Int
    /// Threads running a task, or connections lent out.
    public var active: Int
    /// Tasks waiting for a thread, or callers waiting for a connection.
    public var queued: Int
    /// Threads kept however idle (core), or connections kept ready (minimum idle).
    public var coreSize: Int
    /// The most threads, or connections.
    public var maxSize: Int
    /// How many may wait; `nil` when waiting is bounded by time instead (a connection pool).
    public var queueCapacity: Int?
    /// Tasks run to the end, or connections lent, since the pool started.
    public var completed: UInt64
    /// Work refused for saturation or shutdown, or acquisitions that timed out.
    public var rejected: UInt64
    /// How long work waited for a thread (or a caller for a connection).
    public var queueWait: LatencyHistogram
    /// How long tasks ran (or connections were held).
    public var service: LatencyHistogram
    /// How a thread pool decides how many threads work at once; `nil` for a connection pool.
    public var sizing: PoolSizing?
    /// Of the active threads, those an adaptive pool last found blocked.
    public var blocked: Int
    /// Threads an adaptive pool woke or started for blocked ones since it started.
    public var addedForBlocked: UInt64

    /// Creates a snapshot; see each property.
    public init(
        name: String, kind: PoolKind, takenAtNanoseconds: UInt64, size: Int, active: Int, queued: Int,
        coreSize: Int, maxSize: Int, queueCapacity: Int?, completed: UInt64, rejected: UInt64,
        queueWait: LatencyHistogram, service: LatencyHistogram,
        sizing: PoolSizing? = nil, blocked: Int = 0, addedForBlocked: UInt64 = 0
    ) {
        self.sizing = sizing
        self.blocked = blocked
        self.addedForBlocked = addedForBlocked
        self.name = name
        self.kind = kind
        self.takenAtNanoseconds = takenAtNanoseconds
        self.size = size
        self.active = active
        self.queued = queued
        self.coreSize = coreSize
        self.maxSize = maxSize
        self.queueCapacity = queueCapacity
        self.completed = completed
        self.rejected = rejected
        self.queueWait = queueWait
        self.service = service
    }

    /// Whether every thread (connection) is busy and work waits or is refused.
    public var isSaturated: Bool { active >= maxSize && (queued > 0 || queueCapacity == 0) }
}

/// One task running on a pool now, for starvation reports.
public struct RunningTask: Sendable, Hashable {
    /// What the task is (`GET /reports/{id}`), when its submitter said.
    public var label: String?
    /// The thread (or connection holder) running it.
    public var thread: String
    /// How long it has been running.
    public var runningFor: Duration

    /// Creates a record of a running task.
    public init(label: String?, thread: String, runningFor: Duration) {
        self.label = label
        self.thread = thread
        self.runningFor = runningFor
    }
}

/// New sizes for a running pool; `nil` keeps a value.
public struct PoolResize: Sendable, Hashable, Codable {
    /// Core threads (kept however idle).
    public var coreThreads: Int?
    /// The most threads.
    public var maxThreads: Int?
    /// How many tasks may wait.
    public var queueCapacity: Int?

    /// Creates a resize request.
    public init(coreThreads: Int? = nil, maxThreads: Int? = nil, queueCapacity: Int? = nil) {
        self.coreThreads = coreThreads
        self.maxThreads = maxThreads
        self.queueCapacity = queueCapacity
    }

    enum CodingKeys: String, CodingKey {
        case coreThreads = "core-threads"
        case maxThreads = "max-threads"
        case queueCapacity = "queue-capacity"
    }
}

/// What the server knows at start-up that a pool may want to check itself against.
public struct StartupFacts: Sendable {
    /// `instances`: how many copies of the application run against the same database.
    public var instances: Int
    /// The most back threads that may run at once, over every back executor.
    public var backThreads: Int

    /// Creates the facts.
    public init(instances: Int, backThreads: Int) {
        self.instances = instances
        self.backThreads = backThreads
    }
}

/// A pool the server observes, advises on, resizes and closes: its thread pools are, and a
/// database pool registered with the application is.
///
/// Every requirement but ``name``, ``kind`` and ``snapshot()`` has a default.
public protocol ManagedPool: AnyObject, Sendable {
    /// The pool's name, unique in an application.
    var name: String { get }
    /// What the pool serves.
    var kind: PoolKind { get }
    /// The state and counters now.
    func snapshot() -> PoolSnapshot
    /// The tasks running now, longest-running first. Default: none known.
    func runningTasks() -> [RunningTask]
    /// Changes the sizes of the running pool without dropping work.
    /// - Throws: ``ConfigurationError`` when a value is invalid or the pool cannot be resized.
    func resize(_ change: PoolResize) throws(ConfigurationError)
    /// Whether the pool can serve now (a database pool asks its database), within `timeout`.
    /// Default: ready.
    /// - Throws: Why it cannot.
    func checkReadiness(timeout: Duration) throws
    /// Checks the pool's settings against the rest of the deployment when the server starts,
    /// logging warnings. Default: nothing to check.
    func startupChecks(_ facts: StartupFacts, logger: Logger)
    /// Closes the pool once the server has drained the work that uses it. Default: nothing.
    func close() async
    /// Records every wait and service time into `timers` from now on (the server's metrics).
    /// Default: nothing (a ``ThreadPool`` takes its metrics factory at creation).
    func instrument(_ timers: PoolTimers)
}

extension ManagedPool {
    /// No running tasks known.
    public func runningTasks() -> [RunningTask] { [] }
    /// Not resizable.
    public func resize(_ change: PoolResize) throws(ConfigurationError) {
        throw ConfigurationError("the pool '\(name)' cannot be resized while running")
    }
    /// Always ready.
    public func checkReadiness(timeout: Duration) throws {}
    /// Nothing to check.
    public func startupChecks(_ facts: StartupFacts, logger: Logger) {}
    /// Nothing to close.
    public func close() async {}
    /// Not instrumented.
    public func instrument(_ timers: PoolTimers) {}
}
