import BrigadeExecutors
import CoreMetrics
import Prometheus
import Synchronization

/// The metrics of one server, recorded through swift-metrics into its own Prometheus
/// registry, which the management port serves at `GET /metrics`.
///
/// Per pool (`pool` dimension): `brigade_pool_size`, `brigade_pool_active`,
/// `brigade_pool_queued`, `brigade_pool_max_size` (gauges), `brigade_pool_completed_total`,
/// `brigade_pool_rejected_total` (counters), `brigade_pool_queue_wait_seconds` and
/// `brigade_pool_service_seconds` (histograms; for the database pool, acquisition wait and
/// hold time); for adaptive thread pools also `brigade_pool_blocked` (threads found blocked) and
/// `brigade_pool_added_for_blocked_total` (threads woken or started in their place). Per route template, method and status: `brigade_http_requests_total` and
/// `brigade_http_request_duration_seconds`. Also `brigade_async_requests_pending`,
/// `brigade_async_requests_completed_total`, `brigade_async_requests_timed_out_total` and
/// `brigade_http_connections_open`.
final class ServerMetrics: Sendable {
    /// What the server reports about itself, read when metrics are refreshed.
    struct ServerSources: Sendable {
        var pendingAsync: @Sendable () -> Int
        var completedAsync: @Sendable () -> Int
        var timedOutAsync: @Sendable () -> Int
        var openConnections: @Sendable () -> Int
    }

    private struct PoolSeries {
        let size: CoreMetrics.Gauge
        let active: CoreMetrics.Gauge
        let queued: CoreMetrics.Gauge
        let maxSize: CoreMetrics.Gauge
        let completed: CoreMetrics.Counter
        let rejected: CoreMetrics.Counter
        let blocked: CoreMetrics.Gauge?
        let addedForBlocked: CoreMetrics.Counter?
        var lastCompleted: UInt64 = 0
        var lastRejected: UInt64 = 0
        var lastAddedForBlocked: UInt64 = 0
    }

    private struct State {
        var pools: [String: PoolSeries] = [:]
        /// Per component and value name: the gauge or counter, and the counter's last total.
        var componentGauges: [String: CoreMetrics.Gauge] = [:]
        var componentCounters: [String: (counter: CoreMetrics.Counter, last: UInt64)] = [:]
        var sources: ServerSources?
        var lastCompletedAsync = 0
        var lastTimedOutAsync = 0
    }

    /// The registry `GET /metrics` renders.
    let registry: PrometheusCollectorRegistry
    /// The factory every Brigade metric is made with.
    let factory: PrometheusMetricsFactory
    private let state = Mutex(State())
    private let pendingAsync: CoreMetrics.Gauge
    private let completedAsync: CoreMetrics.Counter
    private let timedOutAsync: CoreMetrics.Counter
    private let connections: CoreMetrics.Gauge

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        let fine: [Duration] = [
            .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(500), .milliseconds(1),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
        ]
        factory.durationHistogramBuckets["brigade_pool_queue_wait_seconds"] = fine
        factory.durationHistogramBuckets["brigade_pool_service_seconds"] = fine
        factory.durationHistogramBuckets["brigade_http_request_duration_seconds"] = fine
        self.factory = factory
        pendingAsync = CoreMetrics.Gauge(label: "brigade_async_requests_pending", factory: factory)
        completedAsync = CoreMetrics.Counter(label: "brigade_async_requests_completed_total", factory: factory)
        timedOutAsync = CoreMetrics.Counter(label: "brigade_async_requests_timed_out_total", factory: factory)
        connections = CoreMetrics.Gauge(label: "brigade_http_connections_open", factory: factory)
    }

    /// Connects the server's own counters once it exists.
    func attach(_ sources: ServerSources) {
        state.withLock { $0.sources = sources }
    }

    /// Records the pools' state.
    func update(_ snapshots: [PoolSnapshot]) {
        for snapshot in snapshots {
            let (series, completed, rejected, added) = state.withLock { state -> (PoolSeries, UInt64, UInt64, UInt64) in
                var series = state.pools[snapshot.name] ?? makeSeries(snapshot)
                let completed = snapshot.completed &- series.lastCompleted
                let rejected = snapshot.rejected &- series.lastRejected
                let added = snapshot.addedForBlocked &- series.lastAddedForBlocked
                series.lastCompleted = snapshot.completed
                series.lastRejected = snapshot.rejected
                series.lastAddedForBlocked = snapshot.addedForBlocked
                state.pools[snapshot.name] = series
                return (series, completed, rejected, added)
            }
            series.size.record(snapshot.size)
            series.active.record(snapshot.active)
            series.queued.record(snapshot.queued)
            series.maxSize.record(snapshot.maxSize)
            if completed > 0 { series.completed.increment(by: Int64(clamping: completed)) }
            if rejected > 0 { series.rejected.increment(by: Int64(clamping: rejected)) }
            series.blocked?.record(snapshot.blocked)
            if added > 0 { series.addedForBlocked?.increment(by: Int64(clamping: added)) }
        }
        refreshServer()
    }

    /// Records the managed components' state: `brigade_<kind>_up`, and each counter and gauge
    /// they report, labelled with the component's name.
    func update(_ statuses: [ComponentStatus]) {
        for status in statuses {
            let dimensions = [("name", status.name)]
            var gauges = status.gauges
            gauges["up"] = status.isUp ? 1 : 0
            for (key, value) in gauges {
                let label = "brigade_\(status.kind)_\(key)"
                let gauge = state.withLock { state in
                    let id = "\(label)|\(status.name)"
                    if let gauge = state.componentGauges[id] { return gauge }
                    let gauge = CoreMetrics.Gauge(label: label, dimensions: dimensions, factory: factory)
                    state.componentGauges[id] = gauge
                    return gauge
                }
                gauge.record(value)
            }
            for (key, total) in status.counters {
                let label = "brigade_\(status.kind)_\(key)_total"
                let (counter, delta) = state.withLock { state -> (CoreMetrics.Counter, UInt64) in
                    let id = "\(label)|\(status.name)"
                    let entry = state.componentCounters[id]
                        ?? (CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory), 0)
                    state.componentCounters[id] = (entry.counter, total)
                    return (entry.counter, total &- entry.last)
                }
                if delta > 0 { counter.increment(by: Int64(clamping: delta)) }
            }
        }
    }

    /// Records the server's own counters (asynchronous requests, connections).
    func refreshServer() {
        let update = state.withLock { state -> (Int, Int, Int, Int)? in
            guard let sources = state.sources else { return nil }
            let completed = sources.completedAsync()
            let timedOut = sources.timedOutAsync()
            defer {
                state.lastCompletedAsync = completed
                state.lastTimedOutAsync = timedOut
            }
            return (sources.pendingAsync(), completed - state.lastCompletedAsync, timedOut - state.lastTimedOutAsync, sources.openConnections())
        }
        guard let (pending, completed, timedOut, open) = update else { return }
        pendingAsync.record(pending)
        if completed > 0 { completedAsync.increment(by: Int64(completed)) }
        if timedOut > 0 { timedOutAsync.increment(by: Int64(timedOut)) }
        connections.record(open)
    }

    /// The Prometheus text exposition of every metric.
    func exposition() -> String {
        registry.emitToString()
    }

    private func makeSeries(_ snapshot: PoolSnapshot) -> PoolSeries {
        let dimensions = [("pool", snapshot.name)]
        var adaptive = false
        if case .adaptive? = snapshot.sizing { adaptive = true }
        return PoolSeries(
            size: CoreMetrics.Gauge(label: "brigade_pool_size", dimensions: dimensions, factory: factory),
            active: CoreMetrics.Gauge(label: "brigade_pool_active", dimensions: dimensions, factory: factory),
            queued: CoreMetrics.Gauge(label: "brigade_pool_queued", dimensions: dimensions, factory: factory),
            maxSize: CoreMetrics.Gauge(label: "brigade_pool_max_size", dimensions: dimensions, factory: factory),
            completed: CoreMetrics.Counter(label: "brigade_pool_completed_total", dimensions: dimensions, factory: factory),
            rejected: CoreMetrics.Counter(label: "brigade_pool_rejected_total", dimensions: dimensions, factory: factory),
            blocked: adaptive ? CoreMetrics.Gauge(label: "brigade_pool_blocked", dimensions: dimensions, factory: factory) : nil,
            addedForBlocked: adaptive
                ? CoreMetrics.Counter(label: "brigade_pool_added_for_blocked_total", dimensions: dimensions, factory: factory) : nil)
    }
}
