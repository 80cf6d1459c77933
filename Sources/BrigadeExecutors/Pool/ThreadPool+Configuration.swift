/// What a pool does with work it cannot start or queue.
public enum RejectionPolicy: String, Sendable, Hashable, CaseIterable {
    /// Throw ``RejectedExecutionError`` to the submitter (the web tier answers 503).
    case abort
    /// Run the work on the submitting thread. Never use it where the submitter is an event
    /// loop or a front thread that must stay free.
    case callerRuns = "caller-runs"
}

extension ThreadPool {
    /// The sizes and policies of a ``ThreadPool``.
    ///
    /// Unlike Java's `ThreadPoolExecutor`, an ``PoolSizing/eager`` pool grows to ``maxThreads``
    /// *before* it queues anything, an ``PoolSizing/adaptive(parallelism:)`` one only for
    /// threads that are blocked; the queue is always bounded.
    public struct Configuration: Sendable, Hashable {
        /// The pool's name; threads are named `<name>-1`, `<name>-2`, …
        public var name: String
        /// The tier the pool's threads report through ``ThreadTier/current``.
        public var tier: ThreadTier
        /// Threads started at once and kept however idle. Default 0.
        public var coreThreads: Int
        /// The most threads the pool runs. Default 8.
        public var maxThreads: Int
        /// How many tasks may wait when every thread is busy; 0 means none wait. Default 100.
        public var queueCapacity: Int
        /// How long a thread above ``coreThreads`` stays idle before it exits. Default 60 s.
        public var keepAlive: Duration
        /// What to do when every thread is busy and the queue is full. Default ``RejectionPolicy/abort``.
        public var rejectionPolicy: RejectionPolicy
        /// Whether the pool's threads run under Linux's `SCHED_BATCH` policy: a woken worker
        /// does not preempt the thread that woke it (an event loop reading more requests), so
        /// work is taken in batches and a request costs far fewer context switches. Throughput
        /// over wake-up latency, which is what a server pool wants. Default `true`; no effect
        /// outside Linux.
        public var batchScheduling: Bool
        /// How many threads work at once: ``PoolSizing/eager`` (every task gets a thread, up to
        /// the maximum, before anything queues) or ``PoolSizing/adaptive(parallelism:)`` (about
        /// one runnable thread per CPU, more only for threads that are blocked). Default
        /// ``PoolSizing/eager``.
        public var sizing: PoolSizing

        /// Creates a configuration; see each property for its meaning and default.
        public init(
            name: String,
            tier: ThreadTier,
            coreThreads: Int = 0,
            maxThreads: Int = 8,
            queueCapacity: Int = 100,
            keepAlive: Duration = .seconds(60),
            rejectionPolicy: RejectionPolicy = .abort,
            batchScheduling: Bool = true,
            sizing: PoolSizing = .eager
        ) {
            self.sizing = sizing
            self.batchScheduling = batchScheduling
            self.name = name
            self.tier = tier
            self.coreThreads = coreThreads
            self.maxThreads = maxThreads
            self.queueCapacity = queueCapacity
            self.keepAlive = keepAlive
            self.rejectionPolicy = rejectionPolicy
        }

        /// Checks the values.
        /// - Throws: ``ConfigurationError`` naming the first invalid value.
        public func validate() throws(ConfigurationError) {
            if name.isEmpty { throw ConfigurationError("pool name must not be empty") }
            if maxThreads < 1 { throw ConfigurationError("\(name): max threads must be at least 1, got \(maxThreads)") }
            if coreThreads < 0 || coreThreads > maxThreads {
                throw ConfigurationError("\(name): core threads must be between 0 and max threads (\(maxThreads)), got \(coreThreads)")
            }
            if queueCapacity < 0 { throw ConfigurationError("\(name): queue capacity must not be negative, got \(queueCapacity)") }
            if keepAlive < .zero { throw ConfigurationError("\(name): keep-alive must not be negative, got \(keepAlive)") }
            if case .adaptive(let parallelism) = sizing, parallelism < 1 {
                throw ConfigurationError("\(name): parallelism must be at least 1, got \(parallelism)")
            }
        }
    }
}
