extension ThreadPool {
    /// A snapshot of a pool's counters, taken under its lock.
    public struct Statistics: Sendable, Hashable {
        /// The pool's name.
        public var name: String
        /// Threads alive now.
        public var poolSize: Int
        /// Threads running a task now (or handed one and about to run it).
        public var active: Int
        /// The most threads ever alive at once.
        public var largestPoolSize: Int
        /// Tasks waiting in the queue.
        public var queued: Int
        /// Tasks that pool threads ran to the end (not those run by a caller).
        public var completed: Int
        /// Tasks the pool could neither start nor queue: refused (saturated or shut down) or,
        /// with the `callerRuns` policy, run on the submitting thread instead.
        public var rejected: Int
        /// Tasks removed from the queue before they started: by ``ThreadPool/cancel(_:)``, by a
        /// shutdown that dropped them, or because their context was cancelled while queued.
        public var cancelled: Int
        /// The configured limits at the time of the snapshot.
        public var coreThreads: Int
        /// The configured maximum of threads.
        public var maxThreads: Int
        /// The configured queue capacity.
        public var queueCapacity: Int
        /// Sum of the time tasks waited in the queue, in nanoseconds.
        public var totalQueueWaitNanoseconds: UInt64
        /// Sum of the time tasks ran, in nanoseconds.
        public var totalServiceNanoseconds: UInt64
        /// Every started task's wait from submission to start, handed straight to an idle
        /// thread or queued.
        public var queueWait: LatencyHistogram
        /// Every finished task's run time.
        public var service: LatencyHistogram
        /// How the pool decides how many threads work at once.
        public var sizing: PoolSizing = .eager
        /// Of the ``active`` threads, those an adaptive pool found blocked (off the CPU, not
        /// waiting for it) at its last look; always 0 for an eager pool.
        public var blocked: Int = 0
        /// Threads an adaptive pool woke or started because blocked threads left a runnable
        /// slot free while work waited, since the pool started.
        public var addedForBlocked: Int = 0
    }
}
