#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex that spins briefly before sleeping.
///
/// The pool's critical sections are a few hundred nanoseconds; with more threads than cores,
/// `Synchronization.Mutex` (a priority-inheritance futex on Linux, which sleeps in the kernel
/// at the first contention) turned each collision into two context switches and halved the
/// pool's throughput. glibc's adaptive mutex spins first.
final class PoolLock<Value: ~Copyable>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only reached through `withLock`, which holds `mutex`
    // for the whole access; the mutex is allocated once in init and freed in deinit.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: consuming Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if os(Linux)
        pthread_mutexattr_settype(&attributes, 3)  // PTHREAD_MUTEX_ADAPTIVE_NP (needs _GNU_SOURCE in C)
        #endif
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the lock held. Never call user code or block in `body`.
    @inline(__always)
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

/// A per-thread integer (the pool slot a thread used last), in a pthread key of its own.
final class ThreadLocalSlot: @unchecked Sendable {
    // @unchecked Sendable: the key is created once in init and deleted in deinit; each thread
    // reads and writes only its own value, which pthread keeps per thread.
    private var key = pthread_key_t()

    init() { pthread_key_create(&key, nil) }
    deinit { pthread_key_delete(key) }

    func get() -> Int? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Int(bitPattern: UInt(bitPattern: raw)) - 1
    }

    func set(_ value: Int) {
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: UInt(bitPattern: value + 1)))
    }
}
