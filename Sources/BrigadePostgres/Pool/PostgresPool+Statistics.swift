import BrigadeExecutors
extension PostgresPool {
    /// A snapshot of the pool's state and counters.
    public struct Statistics: Sendable, Hashable, CustomStringConvertible {
        /// Connections open or opening (idle + active + connecting).
        public var total: Int
        /// Connections lent to callers.
        public var active: Int
        /// Connections ready to lend.
        public var idle: Int
        /// Connections being opened.
        public var connecting: Int
        /// Callers waiting for a connection.
        public var waiting: Int
        /// Connections lent since the pool started.
        public var acquired: Int
        /// Total time callers spent acquiring connections, in nanoseconds.
        public var totalAcquireNanoseconds: UInt64
        /// The longest acquisition, in nanoseconds.
        public var maxAcquireNanoseconds: UInt64
        /// Callers that gave up with ``PoolTimeout``.
        public var timeouts: Int
        /// Connections opened since the pool started.
        public var created: Int
        /// Connections closed (broken, expired, idle too long, shut down).
        public var closed: Int
        /// Leases reported as possible leaks.
        public var leaksDetected: Int
        /// Every acquisition's wait for a connection.
        public var acquireWait: LatencyHistogram
        /// How long every returned connection was held.
        public var hold: LatencyHistogram

        /// The mean acquisition time, or zero before the first.
        public var meanAcquireTime: Duration {
            acquired == 0 ? .zero : .nanoseconds(Int64(totalAcquireNanoseconds / UInt64(acquired)))
        }

        /// A one-line summary for logs.
        public var description: String {
            "total=\(total) active=\(active) idle=\(idle) connecting=\(connecting) waiting=\(waiting) acquired=\(acquired) timeouts=\(timeouts) created=\(created) closed=\(closed) leaks=\(leaksDetected)"
        }
    }
}

/// No connection could be had within the pool's connection timeout or the caller's deadline.
///
/// The web tier maps it to `503 Service Unavailable`.
public struct PoolTimeout: Error, Sendable, CustomStringConvertible {
    /// Why the wait ended.
    public enum Reason: String, Sendable, Hashable {
        /// `database.connection-timeout` passed.
        case connectionTimeout = "connection-timeout"
        /// The caller's (request's) deadline came first.
        case deadline
    }

    /// Why the wait ended.
    public let reason: Reason
    /// How long the caller waited.
    public let waited: Duration
    /// The pool's state when it gave up.
    public let statistics: PostgresPool.Statistics
    /// The last error met opening a connection, when the pool could not connect.
    public let lastConnectionError: PostgresError?

    /// A redacted summary (no server messages).
    public var description: String {
        var text = "PoolTimeout(\(reason.rawValue) after \(waited); \(statistics)"
        if let lastConnectionError { text += "; last connection error: \(lastConnectionError)" }
        return text + ")"
    }
}

extension PoolTimeout: SaturationError {
    /// "database pool": the web tier answers 503 with `Retry-After`.
    public var saturatedResource: String { "database pool" }
}
