import Synchronization

/// What one pool thread is doing: whether it runs a task, since when, and what the task is.
/// Written by its thread at the start and end of each task, read by observers.
final class TaskActivity: Sendable {
    struct State {
        var startedAt: UInt64 = 0
        var label: String?
        var busy = false
    }

    let threadName: String
    private let state = Mutex(State())

    init(threadName: String) { self.threadName = threadName }

    func begin(at nanoseconds: UInt64, label: String?) {
        state.withLock { $0 = State(startedAt: nanoseconds, label: label, busy: true) }
    }

    func label(_ label: String) {
        state.withLock { $0.label = label }
    }

    func end() {
        state.withLock { $0.busy = false; $0.label = nil }
    }

    /// The running task, if any, as of `now`.
    func running(now: UInt64) -> RunningTask? {
        let current = state.withLock { $0 }
        guard current.busy else { return nil }
        let elapsed = now >= current.startedAt ? now - current.startedAt : 0
        return RunningTask(label: current.label, thread: threadName, runningFor: .nanoseconds(Int64(clamping: elapsed)))
    }
}
