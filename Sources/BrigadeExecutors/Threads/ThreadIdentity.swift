#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a thread knows about itself, kept in thread-local storage.
final class ThreadIdentity: Sendable {
    let tier: ThreadTier
    let name: String
    /// What the thread is running, for a pool thread.
    let activity: TaskActivity?

    init(tier: ThreadTier, name: String, activity: TaskActivity? = nil) {
        self.tier = tier
        self.name = name
        self.activity = activity
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { pointer in
            // pthread calls destructors only for non-NULL values.
            guard let pointer else { return }
            Unmanaged<ThreadIdentity>.fromOpaque(UnsafeRawPointer(pointer)).release()
        }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return key
    }()

    static var current: ThreadIdentity? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<ThreadIdentity>.fromOpaque(raw).takeUnretainedValue()
    }

    static func set(_ identity: ThreadIdentity) {
        if let old = pthread_getspecific(key) {
            Unmanaged<ThreadIdentity>.fromOpaque(old).release()
        }
        pthread_setspecific(key, Unmanaged.passRetained(identity).toOpaque())
        setSystemName(identity.name)
    }

    static var currentName: String { current?.name ?? systemName() }

    /// Moves the calling thread to Linux's `SCHED_BATCH` policy (see
    /// ``ThreadPool/Configuration/batchScheduling``); best effort, silently kept as is when refused.
    static func useBatchScheduling() {
        #if os(Linux)
        var parameters = sched_param()
        parameters.sched_priority = 0
        // SCHED_BATCH is 3 in <sched.h>, which Swift's Glibc module only exposes under _GNU_SOURCE.
        _ = sched_setscheduler(0, 3, &parameters)
        #endif
    }

    /// The kernel's name for the calling thread (what `top -H` and `perf` show).
    static func systemName() -> String {
        #if os(Linux)
        let fd = open("/proc/thread-self/comm", O_RDONLY)
        guard fd >= 0 else { return "thread" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { return "thread" }
        return String(decoding: buffer.prefix(count).prefix { $0 != 10 && $0 != 0 }, as: UTF8.self)
        #else
        return "thread"
        #endif
    }

    /// Sets the kernel's name for the calling thread; it keeps the first 15 bytes.
    private static func setSystemName(_ name: String) {
        #if os(Linux)
        // pthread_setname_np needs _GNU_SOURCE, which Swift's Glibc module does not define;
        // /proc/thread-self/comm is the same kernel interface.
        let fd = open("/proc/thread-self/comm", O_WRONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        #endif
    }
}
