import Synchronization

extension ThreadPool {
    /// Runs blocking `body` on a pool thread and suspends the calling task — without blocking
    /// its thread — until it returns.
    ///
    /// The task's ``WorkContext/current`` travels with `body`. Cancelling the task while `body`
    /// waits in the queue takes it out (it never runs, and this throws `CancellationError`);
    /// once it runs, it finishes and its result is returned.
    /// - Returns: What `body` returned.
    /// - Throws: What `body` threw; ``RejectedExecutionError`` when the pool is saturated
    ///   (policy `abort`) or shut down — `body` then never runs, and never on the caller.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let handoff = RunHandoff<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                handoff.set(continuation)
                do {
                    let ticket = try execute(onDiscard: { reason in
                        handoff.resume(with: .failure(RejectedExecutionError(pool: self.name, reason: reason)))
                    }) {
                        handoff.resume(with: Result { try body() })
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
}

/// The meeting point of a ``ThreadPool/run(_:)`` call: its continuation, resumed exactly once,
/// and its ticket, to take queued work back on cancellation.
final class RunHandoff<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var ticket: (pool: ThreadPool, ticket: ThreadPool.Ticket)?
        var cancelled = false
        var finished = false
    }

    private let state = Mutex(State())

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// The work was queued or started; a cancellation that came first takes it back now.
    func submitted(_ ticket: ThreadPool.Ticket, to pool: ThreadPool) {
        let cancelNow = state.withLock { state -> Bool in
            state.ticket = (pool, ticket)
            return state.cancelled && !state.finished
        }
        if cancelNow, pool.cancel(ticket) { resume(with: .failure(CancellationError())) }
    }

    func cancel() {
        let submitted = state.withLock { state -> (ThreadPool, ThreadPool.Ticket)? in
            state.cancelled = true
            return state.finished ? nil : state.ticket
        }
        if let (pool, ticket) = submitted, pool.cancel(ticket) { resume(with: .failure(CancellationError())) }
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
