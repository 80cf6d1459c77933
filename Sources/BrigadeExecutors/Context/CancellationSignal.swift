import Synchronization

/// A one-way, thread-safe signal that a piece of work's result is no longer wanted.
///
/// Set once (by a timeout, a client disconnect, a shutdown); handlers registered before are
/// run once by the thread that cancels, outside any lock; handlers registered after run at
/// once on the registering thread. The database layer registers a handler that sends
/// libpq's cancel request for the query in flight.
public final class CancellationSignal: Sendable {
    /// Identifies a registered handler, to remove it when the guarded operation ends.
    public struct Registration: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct State {
        var reason: String?
        var nextID: UInt64 = 0
        var handlers: [UInt64: @Sendable (String) -> Void] = [:]
    }

    private let state = Mutex(State())

    /// Creates a signal that is not cancelled.
    public init() {}

    /// Whether ``cancel(reason:)`` was called.
    public var isCancelled: Bool { state.withLock { $0.reason != nil } }

    /// Why the work was cancelled, once it was.
    public var reason: String? { state.withLock { $0.reason } }

    /// Cancels the work; the first call wins and runs the registered handlers.
    /// - Parameter reason: A short phrase for logs and errors ("request timed out").
    /// - Returns: `true` if this call cancelled it, `false` if it already was.
    @discardableResult
    public func cancel(reason: String) -> Bool {
        let handlers: [@Sendable (String) -> Void]? = state.withLock { state in
            guard state.reason == nil else { return nil }
            state.reason = reason
            defer { state.handlers.removeAll() }
            return Array(state.handlers.values)
        }
        guard let handlers else { return false }
        for handler in handlers { handler(reason) }
        return true
    }

    /// Registers `handler` to run when the signal is cancelled.
    ///
    /// If it already is, the handler runs at once on the calling thread and `nil` is returned.
    /// - Parameter handler: Called with the reason, on the cancelling thread; must not block.
    /// - Returns: A registration to pass to ``remove(_:)`` when no longer needed.
    @discardableResult
    public func onCancel(_ handler: @escaping @Sendable (String) -> Void) -> Registration? {
        let outcome: Result<Registration, CancelledNow> = state.withLock { state in
            if let reason = state.reason { return .failure(CancelledNow(reason: reason)) }
            state.nextID &+= 1
            state.handlers[state.nextID] = handler
            return .success(Registration(id: state.nextID))
        }
        switch outcome {
        case .success(let registration): return registration
        case .failure(let now):
            handler(now.reason)
            return nil
        }
    }

    /// Removes a handler; it will not run.
    public func remove(_ registration: Registration?) {
        guard let registration else { return }
        _ = state.withLock { $0.handlers.removeValue(forKey: registration.id) }
    }

    private struct CancelledNow: Error { let reason: String }
}
