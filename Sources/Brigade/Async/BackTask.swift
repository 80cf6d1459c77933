import BrigadeExecutors
import Synchronization

/// Runs a callable's body on a back executor for an ``AsyncExchange``, and can take it back
/// out of the queue if the result stops being wanted before it starts.
final class BackTask: Sendable {
    private let body: @Sendable () throws -> any ResponseGenerator
    private let executorName: String?
    private let submitted = CancellationLatch<(pool: ThreadPool, ticket: ThreadPool.Ticket)>()

    /// - Parameters:
    ///   - executor: The back executor's name; `nil` is the default one.
    ///   - body: The work; its value is rendered on a front thread.
    init(executor: String?, body: @escaping @Sendable () throws -> any ResponseGenerator) {
        self.executorName = executor
        self.body = body
    }

    /// Submits the body; called on the front thread with the request's context bound, which
    /// the pool captures and installs on the back thread.
    func start(_ exchange: AsyncExchange) {
        guard !submitted.isCancelled else { return }  // no longer wanted: submit nothing
        let body = self.body
        do {
            let pool = try exchange.executors.executor(named: executorName)
            let ticket = try pool.execute(onDiscard: { reason in
                exchange.receive(.error(RejectedExecutionError(pool: pool.name, reason: reason)))
            }) {
                exchange.backStarted()
                let outcome: AsyncOutcome
                do { outcome = .value(try body()) } catch { outcome = .error(error) }
                exchange.receive(outcome)  // dropped if a timeout or the client's departure won
            }
            // A cancellation that came while it was being submitted takes it back now.
            if !submitted.store((pool, ticket)) { pool.cancel(ticket) }
        } catch {
            exchange.receive(.error(error))
        }
    }

    /// Removes the body from its executor's queue if it has not started (and keeps it from
    /// being submitted if it was not yet); a running body finishes, and its result is dropped.
    func cancel() {
        if let (pool, ticket) = submitted.cancel() { pool.cancel(ticket) }
    }
}

/// Runs callbacks once, whoever asks first.
final class Once: Sendable {
    private let done = Atomic(false)
    /// Runs `body` if this is the first call.
    func run(_ body: () -> Void) {
        if done.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged { body() }
    }
}
