import BrigadeExecutors

/// `GET /pools`: every pool's state, its measurements over the advice window, a recommended
/// size and the warnings — the JSON the dashboard draws.
struct PoolsReport: Encodable, Sendable {
    /// The advice window, in seconds.
    var windowSeconds: Double
    /// The least work a window must hold for a pool to be advised a smaller size.
    var shrinkNeeds: LoadThreshold
    var pools: [PoolReport]
    /// The routes seen in the window, the heaviest front users first.
    var routes: [RouteReport]
    /// Plain-language problems and what to do about them.
    var warnings: [String]
    /// Saturation episodes the watchdog reported, the latest first.
    var starvation: [StarvationReport]
    /// The managed components (notification listeners): up or not, their counters.
    var components: [ComponentStatus] = []
}

/// One pool in ``PoolsReport``.
struct PoolReport: Encodable, Sendable {
    var name: String
    var kind: PoolKind
    /// The configuration key that sizes it (`back.max-threads`).
    var sizeKey: String
    var size: Int
    var active: Int
    var queued: Int
    var coreSize: Int
    var maxSize: Int
    var queueCapacity: Int?
    var completed: UInt64
    var rejected: UInt64
    /// Measurements over the window; `nil` until two samples exist.
    var window: WindowReport?
    /// Little's law's size for the window's load, with headroom; `nil` without traffic, or
    /// with too little of it to size the pool by (``verdict`` `not-enough-load`).
    var recommendedSize: Int?
    /// How the recommendation was reached, in words.
    var advice: String
    /// What the advice concludes, for programs.
    var verdict: SizingVerdict
    /// The longest-running tasks now.
    var running: [RunningReport]
    /// How an adaptive pool sized itself; `nil` for eager pools and connection pools.
    var adaptive: AdaptiveReport?
    /// The history, when asked for (`?history=1`).
    var history: HistoryReport?
}

/// What an adaptive pool (``PoolSizing/adaptive(parallelism:)``) did: how many threads it
/// lets run at once, how many it found blocked, how many it added for them.
struct AdaptiveReport: Encodable, Sendable {
    /// Threads that may run at once (unblocked).
    var parallelism: Int
    /// The key that sets it (`front.parallelism`).
    var parallelismKey: String
    /// Threads blocked now.
    var blockedNow: Int
    /// Threads blocked on average over the window's samples.
    var meanBlocked: Double?
    /// Threads woken or started in the window because blocked ones left a slot free.
    var addedForBlocked: UInt64?
}

/// What the advice concludes about a pool's size.
enum SizingVerdict: String, Encodable, Sendable {
    /// Fewer than two samples yet.
    case measuring
    /// No work in the window.
    case noWork = "no-work"
    /// Some work, too little to size the pool by (see ``PoolsReport/shrinkNeeds``).
    case notEnoughLoad = "not-enough-load"
    /// Work waited or was refused for want of threads: raise the size.
    case tooSmall = "too-small"
    /// Half the size, or less, would do.
    case largerThanNeeded = "larger-than-needed"
    case wellSized = "well-sized"
}

/// An amount of work in the advice window.
struct LoadThreshold: Encodable, Sendable, Equatable {
    /// Tasks run to the end (connections lent).
    var tasks: UInt64
    /// Work offered per second.
    var ratePerSecond: Double
}

/// A pool's measurements over the advice window.
struct WindowReport: Encodable, Sendable {
    var seconds: Double
    /// Work finished in the window.
    var completed: UInt64
    /// Work offered per second: started or refused (λ).
    var arrivalRate: Double
    /// Work finished per second.
    var throughput: Double
    /// Work refused in the window.
    var rejected: UInt64
    /// Mean time a task ran (a connection was held), in ms (S).
    var serviceTimeMs: Double
    /// Queue wait percentiles, in ms (an upper bound within 25 %).
    var queueWaitMs: Percentiles
    /// Mean queue wait, in ms (W).
    var meanQueueWaitMs: Double
    /// Busy time over capacity (max size × window).
    var utilisation: Double
    /// Share of samples in which the pool was saturated.
    var saturatedFraction: Double
    /// Mean number of tasks waiting or running: L = λ·(W + S).
    var meanConcurrency: Double
}

struct Percentiles: Encodable, Sendable {
    var p50: Double
    var p95: Double
    var p99: Double
}

struct RunningReport: Encodable, Sendable {
    var label: String?
    var thread: String
    var runningMs: Double
}

/// A pool's history, oldest first, one point per sample.
struct HistoryReport: Encodable, Sendable {
    var secondsAgo: [Double]
    var size: [Int]
    var active: [Int]
    var queued: [Int]
    var maxSize: [Int]
    var rejected: [UInt64]
    var waitP99Ms: [Double]
    var saturated: [Bool]
}

/// One route's load over the window.
struct RouteReport: Encodable, Sendable {
    var route: String
    var requests: UInt64
    var ratePerSecond: Double
    /// Mean time on front threads (handler and rendering), in ms.
    var frontMs: Double
    /// Mean time on back threads, in ms.
    var backMs: Double
    /// Mean time waiting for threads, in ms.
    var waitMs: Double
    /// Mean total, in ms.
    var totalMs: Double
}

/// One saturation episode.
struct StarvationReport: Encodable, Sendable {
    var pool: String
    var startedSecondsAgo: Double
    var lastedSeconds: Double
    var ongoing: Bool
    var heldBy: String
}
