import Synchronization

/// A request that outlives its front thread: an asynchronous one waiting for its result, or a
/// streamed response.
protocol PendingExchange: AnyObject, Sendable {
    /// The server is shutting down: end now (a stream), or as if timed out (an asynchronous
    /// request whose grace passed).
    func shutdownExpired()
    /// Whether it ends as soon as shutdown begins rather than after the grace: a stream (a
    /// ticker would otherwise hold the shutdown for all of it; clients reconnect), a long poll
    /// (its client asks again).
    var endsWhenShutdownBegins: Bool { get }
}

/// The requests that outlive their front thread — asynchronous ones and streams — so that a
/// graceful shutdown can answer every one of them: end the streams, let the asynchronous
/// requests finish within the grace period, then expire the rest.
final class PendingExchanges: Sendable {
    private final class Waiter: Sendable {
        private let continuation: Mutex<CheckedContinuation<Bool, Never>?>
        init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }
        func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }

    private struct State {
        var exchanges: [ObjectIdentifier: any PendingExchange] = [:]
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())
    private let completedCount = Atomic<Int>(0)
    private let shutdownBegun = Atomic(false)
    private let timedOutCount = Atomic<Int>(0)

    /// Asynchronous requests that ended (answered, timed out or abandoned by their client).
    var completed: Int { completedCount.load(ordering: .relaxed) }
    /// Asynchronous requests that timed out.
    var timedOut: Int { timedOutCount.load(ordering: .relaxed) }

    /// Counts a request whose timeout fired before its result.
    func recordTimeout() { timedOutCount.add(1, ordering: .relaxed) }

    /// Requests waiting now.
    var count: Int { state.withLock { $0.exchanges.count } }

    func insert(_ exchange: any PendingExchange) {
        state.withLock { $0.exchanges[ObjectIdentifier(exchange)] = exchange }
    }

    func remove(_ exchange: any PendingExchange) {
        let waiters = state.withLock { state -> [Waiter] in
            guard state.exchanges.removeValue(forKey: ObjectIdentifier(exchange)) != nil else { return [] }
            completedCount.add(1, ordering: .relaxed)
            guard state.exchanges.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(true) }
    }

    /// Graceful shutdown began: returns the requests to end now (streams, long polls). Those
    /// that arrive from now on are ended as they start (see ``isShuttingDown``).
    func beginShutdown() -> [any PendingExchange] {
        shutdownBegun.store(true, ordering: .sequentiallyConsistent)
        return all.filter(\.endsWhenShutdownBegins)
    }

    /// Whether graceful shutdown began: a request that ends when it begins and arrives now
    /// (on a connection still open during the drain) ends at once.
    var isShuttingDown: Bool { shutdownBegun.load(ordering: .sequentiallyConsistent) }

    /// Every request waiting now.
    var all: [any PendingExchange] { state.withLock { Array($0.exchanges.values) } }

    /// Waits until no request is pending, or `timeout` passes.
    /// - Returns: `true` if none is pending.
    func waitUntilEmpty(timeout: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            let waiter = Waiter(continuation)
            let empty = state.withLock { state -> Bool in
                if state.exchanges.isEmpty { return true }
                state.waiters.append(waiter)
                return false
            }
            if empty {
                waiter.resume(true)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                waiter.resume(false)
            }
        }
    }
}
