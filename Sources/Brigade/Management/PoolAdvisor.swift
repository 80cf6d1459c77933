import BrigadeExecutors
import Foundation

/// Turns the monitor's window into ``PoolsReport``: per pool the measured arrival rate λ,
/// service time S, queue wait W and utilisation, and a size from Little's law.
///
/// Little's law says the mean number of tasks in a pool — waiting or running — is
/// L = λ·(W + S). Threads enough for all of them, L, means nothing waits; when nothing waits
/// (W ≈ 0) that is the textbook λ·S. Counting the wait matters when the pool is too small:
/// then the measured λ is the pool's own throughput, capped by its size, but the work that
/// queued (W) shows the demand it could not meet. Work refused outright adds its rate × S.
/// The recommendation is L × (1 + headroom), rounded up.
///
/// A pool is advised to grow whenever the window says it was too small, however little work
/// that took. It is advised to shrink only from ``shrinkNeeds``: fewer tasks make the mean
/// service time and the wait percentiles noise, and at a trickle Little's law gives the
/// floor (one thread, two for the front) for any pool, which says nothing about the load the
/// pool is sized for. Below it the advice says there is not enough load, with the numbers.
struct PoolAdvisor {
    /// The least work in the window for advice to shrink a pool: 100 tasks, 1 a second.
    static let shrinkNeeds = LoadThreshold(tasks: 100, ratePerSecond: 1)

    let settings: Configuration.Management
    /// When the report is made (monotonic nanoseconds).
    let now: UInt64

    func report(_ view: PoolMonitor.View, pools: [any ManagedPool], blocking: [RequestStatistics.BlockingRoute], includeHistory: Bool) -> PoolsReport {
        var reports: [PoolReport] = []
        for pool in pools {
            let window = view.windows[pool.name] ?? []
            let history = view.histories[pool.name] ?? []
            let last = window.last ?? pool.snapshot()
            let measured = measure(window, history: history)
            let littles = measured.flatMap { recommend($0, kind: pool.kind) }
            let adaptive = Self.adaptiveReport(pool, window: window, last: last)
            let verdict = adaptive == nil
                ? Self.verdict(measured, recommended: littles, maxSize: last.maxSize)
                : Self.adaptiveVerdict(measured, recommended: littles)
            let recommended: Int? = switch verdict {
            case .notEnoughLoad: nil
            // An adaptive pool sizes itself: a size is advised only when it needs a larger cap.
            case _ where adaptive != nil: littles.flatMap { verdict == .tooSmall && $0 > last.maxSize ? $0 : nil }
            default: littles
            }
            let advice = adaptive.map { self.adaptiveAdvice(pool, $0, last: last, window: measured, recommended: littles, verdict: verdict) }
                ?? self.advice(pool, last: last, window: measured, recommended: littles, verdict: verdict)
            reports.append(PoolReport(
                name: pool.name, kind: pool.kind, sizeKey: Self.sizeKey(pool), size: last.size, active: last.active,
                queued: last.queued, coreSize: last.coreSize, maxSize: last.maxSize, queueCapacity: last.queueCapacity,
                completed: last.completed, rejected: last.rejected, window: measured, recommendedSize: recommended,
                advice: advice, verdict: verdict,
                running: pool.runningTasks().prefix(5).map {
                    RunningReport(label: $0.label, thread: $0.thread, runningMs: RequestStatistics.milliseconds($0.runningFor))
                },
                adaptive: adaptive,
                history: includeHistory ? Self.history(history, now: now) : nil))
        }
        let routes = routeReports(view)
        return PoolsReport(
            windowSeconds: Self.round(Double(settings.adviceWindow.clampedNanoseconds) / 1e9),
            shrinkNeeds: Self.shrinkNeeds, pools: reports, routes: routes,
            warnings: warnings(reports, routes: routes, blocking: blocking, view: view),
            starvation: view.events.reversed().map { event in
                StarvationReport(
                    pool: event.pool, startedSecondsAgo: Self.seconds(now &- event.since),
                    lastedSeconds: Self.seconds((event.ended ?? now) &- event.since), ongoing: event.ended == nil,
                    heldBy: PoolMonitor.summarize(event.holders))
            })
    }

    // MARK: measuring

    func measure(_ window: [PoolSnapshot], history: [PoolMonitor.Sample]) -> WindowReport? {
        guard let first = window.first, let last = window.last, window.count >= 2,
              last.takenAtNanoseconds > first.takenAtNanoseconds else { return nil }
        let seconds = Double(last.takenAtNanoseconds - first.takenAtNanoseconds) / 1e9
        let completed = last.completed &- first.completed
        let rejected = last.rejected &- first.rejected
        let waits = last.queueWait.subtracting(first.queueWait)
        let service = last.service.subtracting(first.service)
        let serviceSeconds = Double(service.sumNanoseconds) / 1e9
        let waitSeconds = Double(waits.sumNanoseconds) / 1e9
        let inWindow = history.filter { $0.at >= first.takenAtNanoseconds }
        let saturated = inWindow.isEmpty ? 0 : Double(inWindow.filter(\.saturated).count) / Double(inWindow.count)
        let meanService = service.count == 0 ? 0 : serviceSeconds / Double(service.count)
        let concurrency = (waitSeconds + serviceSeconds) / seconds + Double(rejected) / seconds * meanService
        return WindowReport(
            seconds: Self.round(seconds),
            completed: completed,
            arrivalRate: Self.round(Double(completed + rejected) / seconds),
            throughput: Self.round(Double(completed) / seconds),
            rejected: rejected,
            serviceTimeMs: Self.round(meanService * 1000),
            queueWaitMs: Percentiles(
                p50: RequestStatistics.milliseconds(waits.percentile(0.5)),
                p95: RequestStatistics.milliseconds(waits.percentile(0.95)),
                p99: RequestStatistics.milliseconds(waits.percentile(0.99))),
            meanQueueWaitMs: RequestStatistics.milliseconds(waits.mean),
            utilisation: Self.round(min(1, serviceSeconds / (seconds * Double(max(1, last.maxSize))))),
            saturatedFraction: Self.round(saturated),
            meanConcurrency: Self.round(concurrency))
    }

    /// L × (1 + headroom), at least 1 (2 for the front pool, which also renders); `nil` when
    /// the window saw no work.
    func recommend(_ window: WindowReport, kind: PoolKind) -> Int? {
        guard window.arrivalRate > 0 else { return nil }
        let size = Int((window.meanConcurrency * (1 + settings.headroom)).rounded(.up))
        return max(kind == .front ? 2 : 1, size)
    }

    /// What the window says of the pool's size (`recommended` is Little's law's, unfiltered).
    static func verdict(_ window: WindowReport?, recommended: Int?, maxSize: Int) -> SizingVerdict {
        guard let window else { return .measuring }
        guard let recommended else { return .noWork }
        if recommended > maxSize { return .tooSmall }
        if window.completed < shrinkNeeds.tasks || window.arrivalRate < shrinkNeeds.ratePerSecond { return .notEnoughLoad }
        if recommended * 2 < maxSize, maxSize > 4 { return .largerThanNeeded }
        return .wellSized
    }

    private func advice(_ pool: any ManagedPool, last: PoolSnapshot, window: WindowReport?, recommended: Int?, verdict: SizingVerdict) -> String {
        guard let window else { return "measuring: advice after two samples" }
        guard let recommended else { return "no work in the last \(Self.format(window.seconds)) s: nothing to size" }
        let law = "λ \(Self.format(window.arrivalRate))/s × (W \(Self.format(window.meanQueueWaitMs)) ms + S \(Self.format(window.serviceTimeMs)) ms) = L \(Self.format(window.meanConcurrency))"
        let key = Self.sizeKey(pool)
        let conclusion: String
        switch verdict {
        case .tooSmall:
            conclusion = "too small: raise \(key) from \(last.maxSize) to \(recommended)"
        case .notEnoughLoad:
            return "\(law): not enough load to size it: \(window.completed) tasks in \(Self.format(window.seconds)) s "
                + "(\(Self.format(window.arrivalRate))/s); a smaller \(key) (now \(last.maxSize)) is advised from "
                + "\(Self.shrinkNeeds.tasks) tasks and \(Self.format(Self.shrinkNeeds.ratePerSecond))/s in the window"
        case .largerThanNeeded:
            conclusion = "larger than needed: \(key) \(recommended) would do (now \(last.maxSize))"
        case .wellSized, .measuring, .noWork:
            conclusion = "well sized (\(key) \(last.maxSize); \(recommended) needed)"
        }
        return "\(law) → \(recommended) with \(Int(settings.headroom * 100)) % headroom: \(conclusion)"
    }

    // MARK: adaptive pools

    /// What an adaptive pool did in the window; `nil` for other pools.
    static func adaptiveReport(_ pool: any ManagedPool, window: [PoolSnapshot], last: PoolSnapshot) -> AdaptiveReport? {
        guard case .adaptive(let parallelism)? = last.sizing else { return nil }
        let first = window.first
        return AdaptiveReport(
            parallelism: parallelism, parallelismKey: settingKey(pool, "parallelism"), blockedNow: last.blocked,
            meanBlocked: window.count < 2 ? nil : round(Double(window.map(\.blocked).reduce(0, +)) / Double(window.count)),
            addedForBlocked: first.map { last.addedForBlocked &- $0.addedForBlocked })
    }

    /// An adaptive pool is too small only when work was refused, or when blocked threads filled
    /// it to its maximum while work waited; work that waits for a CPU is its design, not a fault.
    static func adaptiveVerdict(_ window: WindowReport?, recommended: Int?) -> SizingVerdict {
        guard let window else { return .measuring }
        guard recommended != nil else { return .noWork }
        if window.rejected > 0 || window.saturatedFraction > 0.1 { return .tooSmall }
        return .wellSized
    }

    private func adaptiveAdvice(
        _ pool: any ManagedPool, _ adaptive: AdaptiveReport, last: PoolSnapshot, window: WindowReport?, recommended: Int?,
        verdict: SizingVerdict
    ) -> String {
        let sizing = "adaptive: up to \(adaptive.parallelism) threads run at once (\(adaptive.parallelismKey)), more only "
            + "while others are blocked, at most \(last.maxSize) (\(Self.sizeKey(pool)))"
        guard let window else { return "\(sizing); measuring: advice after two samples" }
        guard recommended != nil else { return "\(sizing); no work in the last \(Self.format(window.seconds)) s" }
        let blocked = "\(Self.format(adaptive.meanBlocked ?? 0)) threads blocked on average, "
            + "\(adaptive.addedForBlocked ?? 0) added for blocked work in \(Self.format(window.seconds)) s"
        let timing = "S \(Self.format(window.serviceTimeMs)) ms, queue wait mean \(Self.format(window.meanQueueWaitMs)) ms "
            + "(p99 \(Self.format(window.queueWaitMs.p99)) ms)"
        let conclusion: String
        switch verdict {
        case .tooSmall where window.rejected > 0 && last.size < last.maxSize:
            conclusion = "too small: its queue overflowed (\(window.rejected) refused): raise \(Self.settingKey(pool, "queue"))"
        case .tooSmall:
            conclusion = "too small: blocked threads filled all \(last.maxSize) while work waited: return a Callable or "
                + "DeferredResult from the routes that block (see routes)"
                + (recommended.flatMap { $0 > last.maxSize ? ", or raise \(Self.sizeKey(pool)) from \(last.maxSize) to \($0)" : nil } ?? "")
        case _ where window.meanQueueWaitMs > window.serviceTimeMs && (adaptive.meanBlocked ?? 0) < 0.5:
            conclusion = "the CPUs are the limit, not the threads: work waits for one of \(adaptive.parallelism) running "
                + "threads; more threads would share the same CPUs"
        default:
            conclusion = "sizes itself: nothing to change"
        }
        return "\(sizing); \(blocked); \(timing): \(conclusion)"
    }

    // MARK: warnings

    private func warnings(_ pools: [PoolReport], routes: [RouteReport], blocking: [RequestStatistics.BlockingRoute], view: PoolMonitor.View) -> [String] {
        var warnings: [String] = []
        let windowText = "the last \(Self.format(Double(settings.adviceWindow.clampedNanoseconds) / 1e9)) s"
        let front = pools.first { $0.kind == .front }
        let backs = pools.filter { $0.kind == .back }
        let database = pools.first { $0.kind == .database }

        if let front, let frontWindow = front.window, frontWindow.saturatedFraction >= 0.2 {
            let backUse = backs.compactMap(\.window?.utilisation).max() ?? 0
            if backUse < 0.5, let heaviest = routes.first(where: { $0.frontMs > 0 }) {
                warnings.append(
                    "front pool saturated \(Self.percent(frontWindow.saturatedFraction)) of \(windowText) while back pool idle (\(Self.percent(backUse)) busy): return a Callable from \(heaviest.route)")
            }
        }
        for back in backs {
            guard let window = back.window, let database, let databaseWindow = database.window else { continue }
            let waits = databaseWindow.queueWaitMs.p95 >= 5 || databaseWindow.saturatedFraction >= 0.2 || databaseWindow.rejected > 0
            if waits, window.utilisation >= 0.5 {
                warnings.append(
                    "\(back.name) pool waits on the database pool (connection wait p95 \(Self.format(databaseWindow.queueWaitMs.p95)) ms, \(databaseWindow.rejected) timeouts): raise database.max-size or lower \(back.sizeKey)")
            }
        }
        for pool in pools {
            guard let window = pool.window else { continue }
            if window.rejected > 0 {
                let what = pool.kind == .database ? "acquisitions timed out" : "requests were refused with 503"
                let fix = pool.recommendedSize.map { "raise \(pool.sizeKey) to \($0)" } ?? "raise \(pool.sizeKey)"
                warnings.append("\(pool.name) pool: \(window.rejected) \(what) in \(windowText): \(fix)")
            } else if let recommended = pool.recommendedSize, recommended > pool.maxSize, window.saturatedFraction > 0.1,
                      pool.adaptive == nil || pool.verdict == .tooSmall {
                warnings.append(
                    "\(pool.name) pool saturated \(Self.percent(window.saturatedFraction)) of \(windowText): raise \(pool.sizeKey) from \(pool.maxSize) to \(recommended)")
            }
        }
        for route in blocking.prefix(5) {
            warnings.append(
                "\(route.route) held a front thread for up to \(Self.format(RequestStatistics.milliseconds(route.longest))) ms (\(route.occurrences)×): return a Callable or WebAsyncTask from it")
        }
        for event in view.events where event.ended == nil {
            warnings.append(
                "\(event.pool) pool saturated for \(Self.format(Self.seconds(now &- event.since))) s, held by \(PoolMonitor.summarize(event.holders))")
        }
        return warnings
    }

    // MARK: routes

    private func routeReports(_ view: PoolMonitor.View) -> [RouteReport] {
        guard let first = view.routes.first, let last = view.routes.last, last.at > first.at else { return [] }
        let seconds = Double(last.at - first.at) / 1e9
        var reports: [RouteReport] = []
        for (key, totals) in last.totals {
            let delta = totals.subtracting(first.totals[key] ?? .init())
            guard delta.count > 0 else { continue }
            let count = Double(delta.count)
            reports.append(RouteReport(
                route: key.description, requests: delta.count, ratePerSecond: Self.round(count / seconds),
                frontMs: Self.round(Double(delta.frontNanos) / count / 1e6), backMs: Self.round(Double(delta.backNanos) / count / 1e6),
                waitMs: Self.round(Double(delta.waitNanos) / count / 1e6), totalMs: Self.round(Double(delta.totalNanos) / count / 1e6)))
        }
        // The heaviest users of front threads first: their share is rate × front time.
        return reports.sorted { $0.ratePerSecond * $0.frontMs > $1.ratePerSecond * $1.frontMs }
    }

    // MARK: helpers

    static func sizeKey(_ pool: any ManagedPool) -> String {
        pool.kind == .database ? "database.max-size" : settingKey(pool, "max-threads")
    }

    /// The key of a thread pool's setting: `front.parallelism`, `executors.reports.queue`.
    static func settingKey(_ pool: any ManagedPool, _ setting: String) -> String {
        switch (pool.kind, pool.name, setting) {
        case (.front, _, "queue"): "front.accept-queue"
        case (.front, _, _): "front.\(setting)"
        case (_, "back", _): "back.\(setting)"
        default: "executors.\(pool.name).\(setting)"
        }
    }

    static func history(_ samples: [PoolMonitor.Sample], now: UInt64) -> HistoryReport {
        HistoryReport(
            secondsAgo: samples.map { seconds(now &- $0.at) }, size: samples.map(\.size), active: samples.map(\.active),
            queued: samples.map(\.queued), maxSize: samples.map(\.maxSize), rejected: samples.map(\.rejected),
            waitP99Ms: samples.map { RequestStatistics.milliseconds($0.waitP99) }, saturated: samples.map(\.saturated))
    }

    static func seconds(_ nanoseconds: UInt64) -> Double { round(Double(nanoseconds) / 1e9) }
    static func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
    static func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded())) %" }
    static func format(_ value: Double) -> String {
        value >= 100 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }
}
