#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with condition variables bound to it, for the pool's hand-offs.
///
/// The pool needs several condition variables on one mutex (one per idle worker, so a submit
/// wakes exactly one chosen thread), which `Synchronization.Mutex` cannot express.
package final class PThreadLock: @unchecked Sendable {
    // @unchecked Sendable: the pthread mutex *is* the synchronisation; the pointer is allocated
    // once in init, never reassigned, and freed in deinit when no thread can hold a reference.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_NORMAL))
        let rc = pthread_mutex_init(mutex, &attr)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
        pthread_mutexattr_destroy(&attr)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) package func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) package func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the mutex held. Never call user code from `body`.
    @inline(__always) package func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// A condition variable that waits on this lock, measured on the monotonic clock.
    package final class Condition: @unchecked Sendable {
        // @unchecked Sendable: a pthread condition variable is itself thread-safe; it is only
        // waited on with its owning `PThreadLock` held.
        private let cond: UnsafeMutablePointer<pthread_cond_t>
        private let owner: PThreadLock

        package init(_ owner: PThreadLock) {
            self.owner = owner
            cond = .allocate(capacity: 1)
            var attr = pthread_condattr_t()
            pthread_condattr_init(&attr)
            #if os(Linux)
            pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
            #endif
            let rc = pthread_cond_init(cond, &attr)
            precondition(rc == 0, "pthread_cond_init failed: \(rc)")
            pthread_condattr_destroy(&attr)
        }

        deinit {
            pthread_cond_destroy(cond)
            cond.deallocate()
        }

        /// Waits with the owner's lock held (released while waiting). Spurious wake-ups happen.
        package func wait() { pthread_cond_wait(cond, owner.mutex) }

        /// Waits until `deadline` (monotonic nanoseconds); returns `false` when it timed out.
        package func wait(untilUptimeNanoseconds deadline: UInt64) -> Bool {
            var ts = timespec()
            ts.tv_sec = Int(deadline / 1_000_000_000)
            ts.tv_nsec = Int(deadline % 1_000_000_000)
            return pthread_cond_timedwait(cond, owner.mutex, &ts) != ETIMEDOUT
        }

        package func signal() { pthread_cond_signal(cond) }
        package func broadcast() { pthread_cond_broadcast(cond) }
    }
}
