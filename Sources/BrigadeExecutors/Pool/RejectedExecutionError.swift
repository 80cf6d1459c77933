/// Why a pool refused a task, or dropped one it had queued.
public struct RejectedExecutionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The reasons a task can be refused or dropped.
    public enum Reason: String, Sendable {
        /// Every thread is busy and the queue is full.
        case saturated
        /// The pool is shutting down or stopped.
        case shutdown
        /// The task's ``WorkContext/cancellation`` was signalled while it waited in the queue.
        /// Only passed to `onDiscard`; never thrown by ``ThreadPool/execute(onDiscard:_:)``.
        case cancelled
    }
    /// The pool that refused.
    public let pool: String
    /// Why it refused.
    public let reason: Reason

    /// Creates the error, for code that refuses or drops work on a pool's behalf.
    public init(pool: String, reason: Reason) {
        self.pool = pool
        self.reason = reason
    }

    /// A sentence naming the pool and the reason; it holds nothing from the task.
    public var description: String {
        switch reason {
        case .saturated: "pool '\(pool)' is saturated: every thread is busy and the queue is full"
        case .shutdown: "pool '\(pool)' is shut down"
        case .cancelled: "pool '\(pool)' dropped a queued task whose work was cancelled"
        }
    }
}
