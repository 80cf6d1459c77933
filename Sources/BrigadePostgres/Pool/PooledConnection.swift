import BrigadeExecutors
import Dispatch

/// A connection owned by a pool, moved between threads only through the pool's lock.
final class PooledConnection: @unchecked Sendable {
    // @unchecked Sendable: the wrapped connection is used by one thread at a time — the pool
    // lends it to exactly one caller (a lease), and it passes from the returning thread to
    // the next holder only through the pool's mutex (state machine handoff), which orders
    // every access.
    let connection: PostgresConnection

    init(_ connection: PostgresConnection) { self.connection = connection }
}

/// A caller blocked in ``PostgresPool`` waiting for a connection.
final class PoolWaiter: @unchecked Sendable {
    // @unchecked Sendable: `outcome` is written only with the pool's mutex held, before
    // `semaphore` is signalled, and read only by the waiting thread after the signal;
    // the semaphore orders the two.
    enum Outcome {
        case wake(PoolStateMachine<PooledConnection>.Wake)
        case cancelled(String)
    }

    let semaphore = DispatchSemaphoreBox()
    var outcome: Outcome?
}

/// A counting semaphore (Dispatch's), named for what it is used for here.
final class DispatchSemaphoreBox: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func signal() { semaphore.signal() }
    func wait() { semaphore.wait() }

    /// Waits until `deadline`; returns `false` when it passed first.
    func wait(until deadline: ContinuousClock.Instant) -> Bool {
        let left = ContinuousClock.now.duration(to: deadline)
        if left <= .zero { return semaphore.wait(timeout: .now()) == .success }
        // Dispatch saturates a deadline past the end of time to "forever".
        return semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: left.clampedNanoseconds))) == .success
    }
}
