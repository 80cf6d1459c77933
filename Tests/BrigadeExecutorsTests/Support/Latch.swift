import Dispatch
import Synchronization

/// A count-down latch: threads block in ``wait(timeout:)`` until ``countDown()`` was called
/// `count` times, or ``open()`` was called.
///
/// Every wait has a timeout and reports whether it was released, so a pool bug fails a test
/// instead of hanging it. With `count` 1 it is a gate that a test opens to release blocked tasks.
final class Latch: Sendable {
    private let group = DispatchGroup()
    private let remaining: Mutex<Int>

    init(count: Int = 1) {
        for _ in 0..<count { group.enter() }
        remaining = Mutex(count)
    }

    /// Counts one down; extra calls after zero do nothing.
    func countDown() {
        let leave = remaining.withLock { remaining in
            guard remaining > 0 else { return false }
            remaining -= 1
            return true
        }
        if leave { group.leave() }
    }

    /// Releases every waiter now, whatever the count.
    func open() {
        let left = remaining.withLock { remaining in
            defer { remaining = 0 }
            return remaining
        }
        for _ in 0..<left { group.leave() }
    }

    /// Whether the count reached zero.
    var isOpen: Bool { remaining.withLock { $0 == 0 } }

    /// Blocks until the count reaches zero.
    /// - Returns: `false` if `timeout` passed first.
    @discardableResult
    func wait(timeout: Duration = .seconds(10)) -> Bool {
        let (seconds, attoseconds) = timeout.components
        let nanos = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        return group.wait(timeout: .now() + .nanoseconds(nanos)) == .success
    }
}
