import Synchronization

/// A value that changes on other threads, and that a test can await a condition on.
///
/// `update` may be called from any thread (an event loop, a front thread); `wait(until:)`
/// suspends the test until the predicate holds — a signal, not a sleep. The timeout only
/// turns a hang into a failure.
public final class Watched<Value: Sendable>: Sendable {
    private struct Waiter {
        let id: Int
        let predicate: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Value, any Error>
    }

    private struct State {
        var value: Value
        var waiters: [Waiter] = []
        var nextID = 0
        var cancelled: Set<Int> = []
    }

    private enum Outcome { case now(Value), cancelled, waiting }

    private let state: Mutex<State>

    /// Starts watching `value`.
    public init(_ value: Value) { state = Mutex(State(value: value)) }

    /// The value now.
    public var value: Value { state.withLock { $0.value } }

    /// Changes the value and wakes the waiters whose condition now holds.
    public func update(_ body: (inout Value) -> Void) {
        let ready: [(CheckedContinuation<Value, any Error>, Value)] = state.withLock { state in
            body(&state.value)
            let value = state.value
            var ready: [(CheckedContinuation<Value, any Error>, Value)] = []
            state.waiters.removeAll { waiter in
                guard waiter.predicate(value) else { return false }
                ready.append((waiter.continuation, value))
                return true
            }
            return ready
        }
        for (continuation, value) in ready { continuation.resume(returning: value) }
    }

    /// Waits until `predicate` holds for the value; returns the value that satisfied it.
    /// - Throws: ``TimedOut`` after `timeout`.
    @discardableResult
    public func wait(
        timeout: Duration = .seconds(10), _ what: String = "condition",
        until predicate: @escaping @Sendable (Value) -> Bool
    ) async throws -> Value {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                        let outcome: Outcome = self.state.withLock { state in
                            if state.cancelled.remove(id) != nil { return .cancelled }
                            if predicate(state.value) { return .now(state.value) }
                            state.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                            return .waiting
                        }
                        switch outcome {
                        case .now(let value): continuation.resume(returning: value)
                        case .cancelled: continuation.resume(throwing: CancellationError())
                        case .waiting: break
                        }
                    }
                } onCancel: {
                    self.cancel(id)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)  // a deadline, not synchronisation
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let value = first else { throw TimedOut(what: what, after: timeout) }
            return value
        }
    }

    private func cancel(_ id: Int) {
        let continuation: CheckedContinuation<Value, any Error>? = state.withLock { state in
            if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                return state.waiters.remove(at: index).continuation
            }
            state.cancelled.insert(id)
            return nil
        }
        continuation?.resume(throwing: CancellationError())
    }
}

/// A wait that did not see its condition in time.
public struct TimedOut: Error, CustomStringConvertible {
    /// What was awaited.
    public let what: String
    /// How long it was awaited.
    public let after: Duration
    public var description: String { "timed out after \(after) waiting for \(what)" }
}
