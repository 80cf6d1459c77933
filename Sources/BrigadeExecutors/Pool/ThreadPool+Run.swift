import Logging
import Synchronization

extension ThreadPool {
    /// Runs blocking `body` on a pool thread and suspends the calling task — without blocking
    /// its thread — until it returns: the way to call blocking code (a libpq query, a file
    /// read, a CPU-heavy computation) from `async` code.
    ///
    /// ```swift
    /// let report = try await reportsPool.run { try repository.slowAggregate() }
    /// ```
    ///
    /// The task's ``WorkContext/current`` travels with `body` — request id, logger, deadline —
    /// under a cancellation signal of its own, which fires when the task's signal fires or the
    /// task is cancelled. Cancelling the task while `body` waits in the queue takes it out (it
    /// never runs, and this throws `CancellationError`); once `body` runs, its signal fires
    /// (a database query in it is cancelled) and whatever `body` then returns or throws comes
    /// back. Without a current context, `body` gets one with request id `-`.
    /// - Returns: What `body` returned.
    /// - Throws: What `body` threw; `CancellationError` when the task was cancelled before
    ///   `body` started; ``RejectedExecutionError`` (a ``SaturationError``) when the pool is
    ///   saturated or shut down — `body` then never runs, and never on the caller's thread,
    ///   whatever the pool's rejection policy.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let parent = WorkContext.current
        let signal = CancellationSignal()
        var context = parent ?? WorkContext(requestID: "-", logger: Self.runLogger)
        context.cancellation = signal
        // The work is cancelled when the work that awaits it is.
        let link = parent?.cancellation.onCancel { reason in signal.cancel(reason: reason) }
        defer { parent?.cancellation.remove(link) }
        // Work no longer wanted is not started.
        try Task.checkCancellation()
        if signal.isCancelled { throw CancellationError() }
        let handoff = RunHandoff<T>(signal: signal)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                handoff.set(continuation)
                do {
                    let ticket = try WorkContext.$current.withValue(context) { () throws(RejectedExecutionError) -> Ticket in
                        try submit(
                            onDiscard: { reason in
                                handoff.resume(with: .failure(reason == .cancelled ? CancellationError() : RejectedExecutionError(pool: self.name, reason: reason)))
                            },
                            bypassingQueueLimit: false, callerMayRun: false
                        ) {
                            handoff.resume(with: Result { try body() })
                        }
                    }
                    handoff.submitted(ticket, to: self)
                } catch {
                    handoff.resume(with: .failure(error))
                }
            }
        } onCancel: {
            handoff.cancel()
        }
    }

    private static let runLogger = Logger(label: "brigade.run")
}

/// The meeting point of a ``ThreadPool/run(_:)`` call: its continuation, resumed exactly once;
/// its ticket, to take queued work back on cancellation; and the work's cancellation signal,
/// fired when the task is cancelled after the work started.
final class RunHandoff<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var ticket: (pool: ThreadPool, ticket: ThreadPool.Ticket)?
        var cancelled = false
        var finished = false
    }

    private let state = Mutex(State())
    private let signal: CancellationSignal

    init(signal: CancellationSignal) {
        self.signal = signal
    }

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// The work was queued or started; a cancellation that came first takes it back now, or
    /// tells the work.
    func submitted(_ ticket: ThreadPool.Ticket, to pool: ThreadPool) {
        let cancelNow = state.withLock { state -> Bool in
            state.ticket = (pool, ticket)
            return state.cancelled && !state.finished
        }
        if cancelNow { takeBack(ticket, from: pool) }
    }

    func cancel() {
        let submitted = state.withLock { state -> (ThreadPool, ThreadPool.Ticket)? in
            state.cancelled = true
            return state.finished ? nil : state.ticket
        }
        if let (pool, ticket) = submitted { takeBack(ticket, from: pool) }
    }

    /// Takes queued work out of the queue (it never runs); work that started is told through
    /// its signal instead, and its own outcome comes back.
    private func takeBack(_ ticket: ThreadPool.Ticket, from pool: ThreadPool) {
        if pool.cancel(ticket) {
            resume(with: .failure(CancellationError()))
        } else {
            signal.cancel(reason: "the awaiting task was cancelled")
        }
    }

    func resume(with result: Result<T, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard !state.finished else { return nil }
            state.finished = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
    }
}
