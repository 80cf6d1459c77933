import BrigadeTesting
import Foundation

/// A gate a handler blocks on (on its front thread) until the test opens it.
///
/// Once open it stays open. The wait has a deadline so that a failing test cannot hang a
/// front thread forever.
final class Gate: @unchecked Sendable {
    // @unchecked Sendable: `isOpen` is only read and written with `condition` locked.
    private let condition = NSCondition()
    private var isOpen = false

    /// Opens the gate and wakes every thread waiting on it.
    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks the calling thread until the gate opens, at most `timeout` seconds.
    /// - Returns: Whether the gate opened (rather than the deadline passing).
    @discardableResult
    func wait(timeout: TimeInterval = 15) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !isOpen {
            if !condition.wait(until: deadline) { return isOpen }
        }
        return true
    }
}

/// Counts events (a handler started, an interceptor ran) that a test can await.
final class Counter: Sendable {
    private let watched = Watched(0)

    /// How many events so far.
    var count: Int { watched.value }

    /// Records one event; callable from any thread.
    func increment() { watched.update { $0 += 1 } }

    /// Waits until at least `target` events were recorded.
    func wait(for target: Int, timeout: Duration = .seconds(10)) async throws {
        try await watched.wait(timeout: timeout, "\(target) events") { $0 >= target }
    }
}
