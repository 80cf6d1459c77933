import Synchronization

/// The asynchronous requests waiting for their results, so that a graceful shutdown can
/// answer every one of them: let them finish within the grace period, then expire the rest.
final class PendingExchanges: Sendable {
    private final class Waiter: Sendable {
        private let continuation: Mutex<CheckedContinuation<Bool, Never>?>
        init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }
        func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }

    private struct State {
        var exchanges: [ObjectIdentifier: AsyncExchange] = [:]
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())
    private let completedCount = Atomic<Int>(0)
    private let timedOutCount = Atomic<Int>(0)

    /// Asynchronous requests that ended (answered, timed out or abandoned by their client).
    var completed: Int { completedCount.load(ordering: .relaxed) }
    /// Asynchronous requests that timed out.
    var timedOut: Int { timedOutCount.load(ordering: .relaxed) }

    /// Counts a request whose timeout fired before its result.
    func recordTimeout() { timedOutCount.add(1, ordering: .relaxed) }

    /// Requests waiting now.
    var count: Int { state.withLock { $0.exchanges.count } }

    func insert(_ exchange: AsyncExchange) {
        state.withLock { $0.exchanges[ObjectIdentifier(exchange)] = exchange }
    }

    func remove(_ exchange: AsyncExchange) {
        let waiters = state.withLock { state -> [Waiter] in
            guard state.exchanges.removeValue(forKey: ObjectIdentifier(exchange)) != nil else { return [] }
            completedCount.add(1, ordering: .relaxed)
            guard state.exchanges.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(true) }
    }

    /// Every request waiting now.
    var all: [AsyncExchange] { state.withLock { Array($0.exchanges.values) } }

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
