import Synchronization

/// The handle of started work — a queued task's ticket, a Swift `Task` — kept for a
/// cancellation that may come from another thread at any moment, before the handle exists
/// too: a cancellation that came first is applied the moment the handle is stored.
final class CancellationLatch<Handle: Sendable>: Sendable {
    private enum State {
        case empty
        case stored(Handle)
        case cancelled
    }

    private let state = Mutex(State.empty)

    /// Whether ``cancel()`` was called.
    var isCancelled: Bool {
        state.withLock { if case .cancelled = $0 { true } else { false } }
    }

    /// Keeps `handle` for a later cancellation.
    /// - Returns: `false` if the cancellation came first: the caller cancels `handle` now.
    func store(_ handle: Handle) -> Bool {
        state.withLock { state in
            guard case .empty = state else { return false }
            state = .stored(handle)
            return true
        }
    }

    /// Records the cancellation.
    /// - Returns: The handle to cancel, if one was stored.
    func cancel() -> Handle? {
        state.withLock { state in
            defer { state = .cancelled }
            if case .stored(let handle) = state { return handle }
            return nil
        }
    }
}
