import BrigadeExecutors

/// Measures where one request's time goes as it passes from tier to tier.
///
/// It keeps one mark (``monotonicNanoseconds()``): each ``lap(_:at:)`` ends the lap begun at
/// the mark, adds it to a part, and moves the mark. The laps are contiguous, so the parts
/// always add up to ``total`` — the time from the request's arrival to the last mark.
///
/// A value, not shared: the thread working on the request has its copy and hands it on with
/// the work (the pools' hand-offs order one thread's writes before the next one's reads).
/// The only cross-thread input, a back thread's start, comes through ``AsyncExchange``.
struct RequestStopwatch: Sendable {
    /// The parts a lap can be added to (the `Server-Timing` entries but `total`).
    enum Part {
        case frontQueue, front, backQueue, back, asyncWait, render
    }

    /// When the request arrived complete.
    let receivedAt: UInt64
    /// The end of the last lap.
    private(set) var mark: UInt64
    /// The parts so far, in nanoseconds; `total` is up to ``mark``.
    private(set) var nanoseconds = TierNanoseconds()
    /// Whether the front part ended (``endFront(at:)``).
    private var frontEnded = false

    /// Starts at the request's arrival.
    init(receivedAt: UInt64) {
        self.receivedAt = receivedAt
        self.mark = receivedAt
    }

    /// Ends the lap that began at the last mark and adds it to `part`. A clock reading before
    /// the mark (a caller's stale `now`) adds nothing: parts never go negative.
    mutating func lap(_ part: Part, at now: UInt64 = monotonicNanoseconds()) {
        let elapsed = now > mark ? now &- mark : 0
        switch part {
        case .frontQueue: nanoseconds.frontQueue &+= elapsed
        case .front: nanoseconds.front &+= elapsed
        case .backQueue: nanoseconds.backQueue &+= elapsed
        case .back: nanoseconds.back &+= elapsed
        case .asyncWait: nanoseconds.asyncWait &+= elapsed
        case .render: nanoseconds.render &+= elapsed
        }
        mark &+= elapsed
        nanoseconds.total = mark &- receivedAt
    }

    /// Ends the front part, once: where a request leaves the front thread's own work (the
    /// handler returned, an error was thrown, the asynchronous work started). Later calls do
    /// nothing, so every path that may end it can ask.
    mutating func endFront(at now: UInt64 = monotonicNanoseconds()) {
        guard !frontEnded else { return }
        frontEnded = true
        lap(.front, at: now)
    }

    /// Ends the asynchronous wait, from the moment the source was started to `now`: for work
    /// on a back executor, the wait for a back thread up to `backStartedAt` (0: it never
    /// started) and the run from there; otherwise the wait for the result.
    mutating func lapAsynchronous(onBackExecutor: Bool, backStartedAt: UInt64, at now: UInt64 = monotonicNanoseconds()) {
        guard onBackExecutor else { return lap(.asyncWait, at: now) }
        if backStartedAt != 0 {
            lap(.backQueue, at: min(backStartedAt, now))
            lap(.back, at: now)
        } else {
            lap(.backQueue, at: now)
        }
    }

    /// Ends the front part (if a departure came first) and the asynchronous wait, now.
    mutating func endAsynchronousWait(onBackExecutor: Bool, backStartedAt: UInt64) {
        let now = monotonicNanoseconds()
        endFront(at: now)
        lapAsynchronous(onBackExecutor: onBackExecutor, backStartedAt: backStartedAt, at: now)
    }

    /// The parts as durations.
    var timings: RequestTimings { RequestTimings(nanoseconds) }

    /// The `Server-Timing` header value.
    var serverTiming: String { ServerTiming.value(nanoseconds) }
}

/// ``RequestTimings`` in whole nanoseconds: what the hot path adds and formats, without
/// `Duration` arithmetic.
struct TierNanoseconds: Sendable, Hashable {
    var frontQueue: UInt64 = 0
    var front: UInt64 = 0
    var backQueue: UInt64 = 0
    var back: UInt64 = 0
    var asyncWait: UInt64 = 0
    var render: UInt64 = 0
    var total: UInt64 = 0
}

extension TierNanoseconds {
    /// The same timings in nanoseconds.
    init(_ timings: RequestTimings) {
        self.init(
            frontQueue: timings.frontQueue.clampedNanoseconds, front: timings.front.clampedNanoseconds,
            backQueue: timings.backQueue.clampedNanoseconds, back: timings.back.clampedNanoseconds,
            asyncWait: timings.asyncWait.clampedNanoseconds, render: timings.render.clampedNanoseconds,
            total: timings.total.clampedNanoseconds)
    }
}

extension RequestTimings {
    /// Durations from nanoseconds.
    init(_ nanoseconds: TierNanoseconds) {
        func duration(_ nanos: UInt64) -> Duration { .nanoseconds(Int64(clamping: nanos)) }
        self.init()
        frontQueue = duration(nanoseconds.frontQueue)
        front = duration(nanoseconds.front)
        backQueue = duration(nanoseconds.backQueue)
        back = duration(nanoseconds.back)
        asyncWait = duration(nanoseconds.asyncWait)
        render = duration(nanoseconds.render)
        total = duration(nanoseconds.total)
    }

    /// These timings as a `Server-Timing` header value
    /// (`front-queue;dur=0.031, front;dur=0.120, render;dur=0.050, total;dur=0.201`):
    /// milliseconds with three decimals; parts that round to zero (those the request did not
    /// pass through) are left out, `total` is always there.
    public var serverTiming: String { ServerTiming.value(TierNanoseconds(self)) }
}
