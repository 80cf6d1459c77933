extension ThreadPool {
    /// A snapshot of a pool's counters, taken under its lock.
    public struct Statistics: Sendable, Hashable {
        /// The pool's name.
        public var name: String
        /// Threads alive now.
        public var poolSize: Int
        /// Threads running a task now.
        public var active: Int
        /// The most threads ever alive at once.
        public var largestPoolSize: Int
        /// Tasks waiting in the queue.
        public var queued: Int
        /// Tasks that ran to the end (or threw).
        public var completed: Int
        /// Tasks refused because the pool was full or shut down.
        public var rejected: Int
        /// Tasks removed from the queue before they started (cancelled or dropped).
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
    }
}

/// Why a pool refused a task.
public struct RejectedExecutionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The reasons a task can be refused.
    public enum Reason: String, Sendable {
        /// Every thread is busy and the queue is full.
        case saturated
        /// The pool is shutting down or stopped.
        case shutdown
    }
    /// The pool that refused.
    public let pool: String
    /// Why it refused.
    public let reason: Reason

    /// Creates the error, for code that refuses work on a pool's behalf.
    public init(pool: String, reason: Reason) {
        self.pool = pool
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .saturated: "pool '\(pool)' is saturated: every thread is busy and the queue is full"
        case .shutdown: "pool '\(pool)' is shut down"
        }
    }
}
