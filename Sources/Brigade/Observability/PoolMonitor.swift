import BrigadeExecutors
import DequeModule
import Logging
import Synchronization

/// Samples every managed pool at `management.sample-interval`: keeps the window the advisor
/// reads and the history the dashboard draws, feeds the pool metrics, and is the watchdog that
/// reports a pool saturated for longer than `management.saturation-threshold`, naming the
/// routes that hold its threads.
///
/// Sampling runs on one process-wide scheduler thread (`monitor`), never on a pool it watches.
final class PoolMonitor: Sendable {
    /// One point of a pool's history.
    struct Sample: Sendable {
        /// Monotonic nanoseconds.
        var at: UInt64
        var size: Int
        var active: Int
        var queued: Int
        var maxSize: Int
        /// Whether every thread was busy and work waited or was refused.
        var saturated: Bool
        /// Work refused since the previous sample.
        var rejected: UInt64
        /// The 99th percentile of queue waits since the previous sample.
        var waitP99: Duration
    }

    /// A saturation episode the watchdog reported.
    struct StarvationEvent: Sendable {
        var pool: String
        /// Monotonic nanoseconds when the pool became saturated.
        var since: UInt64
        /// Monotonic nanoseconds when it stopped being saturated; `nil` while it lasts.
        var ended: UInt64?
        /// What held the pool's threads when it was reported, longest first.
        var holders: [RunningTask]
    }

    private struct Track {
        /// Full snapshots covering the advice window (oldest first).
        var window = Deque<PoolSnapshot>()
        /// Light samples covering the history (oldest first).
        var history = Deque<Sample>()
        var saturatedSince: UInt64?
        var reported = false
    }

    private struct State {
        var tracks: [String: Track] = [:]
        /// Per-route totals covering the advice window (oldest first).
        var routes = Deque<(at: UInt64, totals: [RequestStatistics.RouteKey: RequestStatistics.RouteTotals])>()
        var events: [StarvationEvent] = []
        var timer: Scheduler.ScheduledTask?
        var running = false
    }

    /// The thread every monitor in the process samples on.
    private static let scheduler = Scheduler(name: "monitor")
    private static let maxEvents = 50

    let pools: [any ManagedPool]
    /// The application's managed components (listeners): reported, not sampled.
    let components: [any ManagedComponent]
    let requests: RequestStatistics
    let metrics: ServerMetrics
    let settings: Configuration.Management
    private let logger: Logger
    private let state = Mutex(State())
    private let windowSamples: Int
    private let historySamples: Int

    init(
        pools: [any ManagedPool], components: [any ManagedComponent] = [], requests: RequestStatistics, metrics: ServerMetrics,
        settings: Configuration.Management, logger: Logger
    ) {
        self.pools = pools
        self.components = components
        self.requests = requests
        self.metrics = metrics
        self.settings = settings
        self.logger = logger
        let interval = Double(settings.sampleInterval.clampedNanoseconds)
        self.windowSamples = max(2, Int((Double(settings.adviceWindow.clampedNanoseconds) / interval).rounded(.up)) + 1)
        self.historySamples = max(windowSamples, Int((Double(settings.history.clampedNanoseconds) / interval).rounded(.up)) + 1)
    }

    /// The managed pool called `name`.
    func pool(named name: String) -> (any ManagedPool)? { pools.first { $0.name == name } }

    /// Takes the first sample and samples every interval from now on.
    func start() {
        let first = state.withLock { state -> Bool in
            defer { state.running = true }
            return !state.running
        }
        guard first else { return }
        sample()
        scheduleNext()
    }

    /// Stops sampling.
    func stop() {
        let timer = state.withLock { state in
            state.running = false
            defer { state.timer = nil }
            return state.timer
        }
        _ = timer?.cancel()
    }

    private func scheduleNext() {
        let task = Self.scheduler.schedule(after: settings.sampleInterval) { [weak self] in
            guard let self else { return }
            self.sample()
            if self.state.withLock({ $0.running }) { self.scheduleNext() }
        }
        state.withLock { state in
            if state.running { state.timer = task } else { _ = task.cancel() }
        }
    }

    /// One round: snapshots, history, metrics, watchdog.
    func sample() {
        let snapshots = pools.map { $0.snapshot() }
        let routes = requests.routeTotals
        let now = monotonicNanoseconds()
        let threshold = settings.saturationThreshold.clampedNanoseconds
        var toReport: [(PoolSnapshot, UInt64)] = []
        var ended: [String] = []
        state.withLock { state in
            for snapshot in snapshots {
                var track = state.tracks[snapshot.name, default: Track()]
                let previous = track.window.last
                let rejected = previous.map { snapshot.rejected &- $0.rejected } ?? 0
                let waits = previous.map { snapshot.queueWait.subtracting($0.queueWait) } ?? snapshot.queueWait
                let saturated = snapshot.isSaturated || (rejected > 0 && snapshot.active >= snapshot.maxSize)
                track.window.append(snapshot)
                while track.window.count > windowSamples { track.window.removeFirst() }
                track.history.append(Sample(
                    at: now, size: snapshot.size, active: snapshot.active, queued: snapshot.queued, maxSize: snapshot.maxSize,
                    saturated: saturated, rejected: rejected, waitP99: waits.percentile(0.99)))
                while track.history.count > historySamples { track.history.removeFirst() }
                if saturated {
                    let since = track.saturatedSince ?? now
                    track.saturatedSince = since
                    if !track.reported, now &- since >= threshold {
                        track.reported = true
                        toReport.append((snapshot, since))
                    }
                } else {
                    if track.reported { ended.append(snapshot.name) }
                    track.saturatedSince = nil
                    track.reported = false
                }
                state.tracks[snapshot.name] = track
            }
            state.routes.append((now, routes))
            while state.routes.count > windowSamples { state.routes.removeFirst() }
            for index in state.events.indices where state.events[index].ended == nil && ended.contains(state.events[index].pool) {
                state.events[index].ended = now
            }
        }
        metrics.update(snapshots)
        for (snapshot, since) in toReport { reportStarvation(snapshot, since: since, now: now) }
    }

    /// The watchdog's report: which pool, since when, and what holds its threads.
    private func reportStarvation(_ snapshot: PoolSnapshot, since: UInt64, now: UInt64) {
        let holders = pool(named: snapshot.name)?.runningTasks() ?? []
        state.withLock { state in
            state.events.append(StarvationEvent(pool: snapshot.name, since: since, ended: nil, holders: Array(holders.prefix(10))))
            if state.events.count > Self.maxEvents { state.events.removeFirst(state.events.count - Self.maxEvents) }
        }
        logger.warning(
            "pool saturated: every thread busy and work waiting or refused",
            metadata: [
                "pool": "\(snapshot.name)",
                "saturated-for-ms": "\(RequestStatistics.milliseconds(.nanoseconds(Int64(clamping: now &- since))))",
                "active": "\(snapshot.active)", "queued": "\(snapshot.queued)", "max": "\(snapshot.maxSize)",
                "held-by": "\(Self.summarize(holders))",
            ])
    }

    /// `GET /reports/{id} ×12 (longest 4.2 s), GET /x ×3 (longest 0.3 s)`: the routes holding
    /// threads, the one holding the longest first.
    static func summarize(_ holders: [RunningTask], limit: Int = 5) -> String {
        var groups: [String: (count: Int, longest: Duration)] = [:]
        for task in holders {
            let label = task.label ?? "(unlabelled)"
            let group = groups[label, default: (0, .zero)]
            groups[label] = (group.count + 1, max(group.longest, task.runningFor))
        }
        let parts = groups.sorted { $0.value.longest > $1.value.longest }.prefix(limit).map { label, group in
            "\(label) ×\(group.count) (longest \(RequestStatistics.milliseconds(group.longest)) ms)"
        }
        return parts.isEmpty ? "nothing running" : parts.joined(separator: ", ")
    }

    // MARK: reading

    /// What the advisor reads.
    struct View: Sendable {
        var windows: [String: [PoolSnapshot]]
        var histories: [String: [Sample]]
        var saturatedSince: [String: UInt64]
        var routes: [(at: UInt64, totals: [RequestStatistics.RouteKey: RequestStatistics.RouteTotals])]
        var events: [StarvationEvent]
    }

    var view: View {
        state.withLock { state in
            View(
                windows: state.tracks.mapValues { Array($0.window) },
                histories: state.tracks.mapValues { Array($0.history) },
                saturatedSince: state.tracks.compactMapValues { $0.saturatedSince },
                routes: Array(state.routes),
                events: state.events)
        }
    }

    /// The pool's refusals over the last `duration`, from the history.
    func rejected(pool name: String, within duration: Duration) -> UInt64 {
        let cutoff = monotonicNanoseconds() &- duration.clampedNanoseconds
        return state.withLock { state in
            (state.tracks[name]?.history ?? []).filter { $0.at >= cutoff }.reduce(0) { $0 + $1.rejected }
        }
    }
}
