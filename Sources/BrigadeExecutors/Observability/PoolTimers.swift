import CoreMetrics

/// The swift-metrics timers a pool records every task's (or lease's) queue wait and service
/// time into: `brigade_pool_queue_wait_seconds` and `brigade_pool_service_seconds`, with the
/// dimension `pool`.
public struct PoolTimers: Sendable {
    /// Submission (or the request for a connection) to start.
    public let queueWait: CoreMetrics.Timer
    /// Start to end of the task (or of the lease).
    public let service: CoreMetrics.Timer

    /// Creates the timers of the pool called `pool` with `factory`.
    public init(pool: String, factory: any MetricsFactory) {
        queueWait = CoreMetrics.Timer(label: "brigade_pool_queue_wait_seconds", dimensions: [("pool", pool)], factory: factory)
        service = CoreMetrics.Timer(label: "brigade_pool_service_seconds", dimensions: [("pool", pool)], factory: factory)
    }

    /// Records one wait.
    public func recordQueueWait(nanoseconds: UInt64) { queueWait.recordNanoseconds(Int64(clamping: nanoseconds)) }
    /// Records one service time.
    public func recordService(nanoseconds: UInt64) { service.recordNanoseconds(Int64(clamping: nanoseconds)) }
}
