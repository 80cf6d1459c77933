import BrigadeExecutors
import CoreMetrics
import Logging
import NIOHTTP1
import Synchronization

/// Counts every answered request by route template, method and status — as the swift-metrics
/// counter `brigade_http_requests_total` and timer `brigade_http_request_duration_seconds` —
/// keeps per-route totals of where the time went for the pool advisor, and reports handlers
/// that hold a front thread longer than `management.front-blocking-threshold`.
final class RequestStatistics: RequestObserver {
    /// A route as advice names it: `GET /reports/{id}`.
    struct RouteKey: Hashable, Sendable, CustomStringConvertible {
        let method: String
        /// The template; `nil` for requests no route matched.
        let route: String?
        var description: String { "\(method) \(route ?? "(no route)")" }
    }

    /// Cumulative totals of one route.
    struct RouteTotals: Sendable, Hashable {
        var count: UInt64 = 0
        var frontNanos: UInt64 = 0
        var backNanos: UInt64 = 0
        var waitNanos: UInt64 = 0
        var totalNanos: UInt64 = 0

        func subtracting(_ earlier: RouteTotals) -> RouteTotals {
            RouteTotals(
                count: count &- earlier.count, frontNanos: frontNanos &- earlier.frontNanos,
                backNanos: backNanos &- earlier.backNanos, waitNanos: waitNanos &- earlier.waitNanos,
                totalNanos: totalNanos &- earlier.totalNanos)
        }
    }

    /// A handler seen holding a front thread too long.
    struct BlockingRoute: Sendable, Hashable {
        let route: RouteKey
        var longest: Duration
        var occurrences: Int
    }

    private struct SeriesKey: Hashable {
        let route: RouteKey
        let status: Int
    }

    private struct Series {
        let requests: Counter
        let duration: CoreMetrics.Timer
    }

    private struct State {
        var series: [SeriesKey: Series] = [:]
        var routes: [RouteKey: RouteTotals] = [:]
        var blocking: [RouteKey: BlockingRoute] = [:]
    }

    private let state = Mutex(State())
    private let factory: any MetricsFactory
    private let blockingThresholdNanos: UInt64
    private let logger: Logger

    init(factory: any MetricsFactory, frontBlockingThreshold: Duration, logger: Logger) {
        self.factory = factory
        self.blockingThresholdNanos = frontBlockingThreshold.clampedNanoseconds
        self.logger = logger
    }

    func requestCompleted(_ record: RequestRecord) {
        let route = RouteKey(method: record.method.rawValue, route: record.route)
        let key = SeriesKey(route: route, status: record.status)
        let timings = TierNanoseconds(record.timings)
        let blocked = record.route != nil && timings.front > blockingThresholdNanos
        let (series, firstBlock) = state.withLock { state -> (Series?, Bool) in
            var totals = state.routes[route, default: RouteTotals()]
            totals.count &+= 1
            totals.frontNanos &+= timings.front &+ timings.render
            totals.backNanos &+= timings.back
            totals.waitNanos &+= timings.frontQueue &+ timings.backQueue
            totals.totalNanos &+= timings.total
            state.routes[route] = totals
            var first = false
            if blocked {
                if var seen = state.blocking[route] {
                    seen.longest = max(seen.longest, record.timings.front)
                    seen.occurrences += 1
                    state.blocking[route] = seen
                } else {
                    state.blocking[route] = BlockingRoute(route: route, longest: record.timings.front, occurrences: 1)
                    first = true
                }
            }
            return (state.series[key], first)
        }
        let found = series ?? makeSeries(key)
        found.requests.increment()
        found.duration.recordNanoseconds(Int64(clamping: timings.total))
        if firstBlock {
            logger.warning(
                "a handler blocked a front thread: return a Callable or WebAsyncTask (or a DeferredResult) from it so the front thread is released",
                metadata: [
                    "route": "\(route)", "held-ms": "\(Self.milliseconds(record.timings.front))",
                    "threshold-ms": "\(Self.milliseconds(.nanoseconds(Int64(clamping: blockingThresholdNanos))))",
                ])
        }
    }

    /// Creates a series outside the lock (the factory takes its own), then keeps the first one made.
    private func makeSeries(_ key: SeriesKey) -> Series {
        let dimensions = [("route", key.route.route ?? "none"), ("method", key.route.method), ("status", String(key.status))]
        let made = Series(
            requests: Counter(label: "brigade_http_requests_total", dimensions: dimensions, factory: factory),
            duration: CoreMetrics.Timer(label: "brigade_http_request_duration_seconds", dimensions: dimensions, factory: factory))
        return state.withLock { state in
            if let existing = state.series[key] { return existing }
            state.series[key] = made
            return made
        }
    }

    /// Every route's totals so far.
    var routeTotals: [RouteKey: RouteTotals] { state.withLock { $0.routes } }

    /// The routes seen blocking a front thread, the longest first.
    var blockingRoutes: [BlockingRoute] {
        state.withLock { Array($0.blocking.values) }.sorted { $0.longest > $1.longest }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        (Double(duration.clampedNanoseconds) / 1e4).rounded() / 100
    }
}
