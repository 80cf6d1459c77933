import BrigadeExecutors
import CoreMetrics
import Logging
import Synchronization

/// The background work one server launched (``BackExecutor/launch(_:)``): what runs now, so
/// that graceful shutdown can wait for it and then cancel it, and how each ended — logged
/// when it went wrong, counted always.
///
/// Metrics: `brigade_background_tasks_total` (counter; dimension `outcome`: `succeeded`,
/// `failed`, `dropped`, `rejected`) and `brigade_background_tasks_running` (gauge).
final class BackgroundWork: Sendable {
    /// One launched piece of work.
    struct Launched: Sendable {
        let id: UInt64
        let context: WorkContext
        let executor: String
    }

    enum Outcome: String, CaseIterable {
        case succeeded, failed, dropped, rejected
    }

    private final class Waiter: Sendable {
        private let continuation: Mutex<CheckedContinuation<Bool, Never>?>
        init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }
        func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }

    private struct State {
        var nextID: UInt64 = 0
        var running: [UInt64: Launched] = [:]
        var waiters: [Waiter] = []
    }

    static let fallbackLogger = Logger(label: "brigade.background")

    private let state = Mutex(State())
    private let outcomes: [Outcome: CoreMetrics.Counter]
    private let runningGauge: CoreMetrics.Gauge
    private let logger: Logger

    /// - Parameters:
    ///   - factory: Where the metrics go; `nil` uses the process's bootstrapped factory.
    ///   - logger: For work without a context of its own.
    init(factory: (any MetricsFactory)?, logger: Logger) {
        let factory = factory ?? MetricsSystem.factory
        var outcomes: [Outcome: CoreMetrics.Counter] = [:]
        for outcome in Outcome.allCases {
            outcomes[outcome] = CoreMetrics.Counter(
                label: "brigade_background_tasks_total", dimensions: [("outcome", outcome.rawValue)], factory: factory)
        }
        self.outcomes = outcomes
        self.runningGauge = CoreMetrics.Gauge(label: "brigade_background_tasks_running", factory: factory)
        self.logger = logger
    }

    /// Background work running or queued now.
    var count: Int { state.withLock { $0.running.count } }

    /// Registers work about to be submitted.
    func begin(_ context: WorkContext, executor: String) -> Launched {
        let (launched, running) = state.withLock { state -> (Launched, Int) in
            state.nextID &+= 1
            let launched = Launched(id: state.nextID, context: context, executor: executor)
            state.running[launched.id] = launched
            return (launched, state.running.count)
        }
        runningGauge.record(running)
        return launched
    }

    /// The work returned, or threw `error`.
    func finished(_ task: Launched, error: (any Error)?) {
        if let error {
            task.context.logger.error(
                "background task failed: \(error)", metadata: ["executor": .string(task.executor)])
            end(task, .failed)
        } else {
            end(task, .succeeded)
        }
    }

    /// The executor dropped the queued work (it stopped before running it).
    func dropped(_ task: Launched, reason: RejectedExecutionError.Reason) {
        task.context.logger.error(
            "background task dropped before it ran: \(RejectedExecutionError(pool: task.executor, reason: reason))",
            metadata: ["executor": .string(task.executor)])
        end(task, .dropped)
    }

    /// The executor refused the work; the caller got the error.
    func rejected(_ task: Launched) {
        end(task, .rejected)
    }

    private func end(_ task: Launched, _ outcome: Outcome) {
        let (running, waiters) = state.withLock { state -> (Int, [Waiter]) in
            state.running[task.id] = nil
            guard state.running.isEmpty else { return (state.running.count, []) }
            defer { state.waiters.removeAll() }
            return (0, state.waiters)
        }
        outcomes[outcome]?.increment()
        runningGauge.record(running)
        for waiter in waiters { waiter.resume(true) }
    }

    /// Waits for the background work to end until `deadline`, then fires the cancellation
    /// signal of what still runs (and logs it) and waits up to `afterCancel` more.
    func drain(until deadline: ContinuousClock.Instant, afterCancel: Duration = .seconds(5)) async {
        if await waitUntilEmpty(timeout: max(.zero, deadline - .now)) { return }
        let left = state.withLock { Array($0.running.values) }
        logger.warning(
            "shutdown grace passed: cancelling background tasks still running",
            metadata: [
                "count": "\(left.count)",
                "request-ids": .array(left.map { .string($0.context.requestID) }),
            ])
        for task in left { task.context.cancellation.cancel(reason: "the server is shutting down") }
        _ = await waitUntilEmpty(timeout: afterCancel)
    }

    /// Waits until no background work runs, or `timeout` passes.
    /// - Returns: `true` if none runs.
    func waitUntilEmpty(timeout: Duration) async -> Bool {
        let timer = Mutex<Task<Void, Never>?>(nil)
        let empty = await withCheckedContinuation { continuation in
            let registered = Waiter(continuation)
            let idle = state.withLock { state -> Bool in
                if state.running.isEmpty { return true }
                state.waiters.append(registered)
                return false
            }
            if idle {
                registered.resume(true)
                return
            }
            timer.withLock {
                $0 = Task {
                    try? await Task.sleep(for: timeout)
                    registered.resume(false)
                }
            }
        }
        timer.withLock { $0 }?.cancel()
        return empty
    }
}
