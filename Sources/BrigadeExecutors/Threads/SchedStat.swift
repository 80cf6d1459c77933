#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One thread's scheduling counters, readable from any thread: Linux's
/// `/proc/thread-self/schedstat` (time on a CPU, time runnable but waiting for one), opened by
/// the thread itself and re-read with `pread`, one system call per sample; and its state now
/// (`/proc/thread-self/stat`: running, or sleeping in the kernel), read only when the counters
/// cannot tell yet.
///
/// It tells a thread that is blocked (neither counter moves) from one that is busy or merely
/// preempted (one of them moves) — what an ``PoolSizing/adaptive(parallelism:)`` pool needs.
/// Elsewhere it reads nothing, and such a pool behaves as one whose threads never block.
final class SchedStat: Sendable {
    private let fd: Int32
    private let statFD: Int32

    /// Opens the calling thread's counters; `nil` where the kernel has none.
    static func openForCurrentThread() -> SchedStat? {
        #if os(Linux)
        let fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        return SchedStat(fd: fd, statFD: open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC))
        #else
        return nil
        #endif
    }

    private init(fd: Int32, statFD: Int32) {
        self.fd = fd
        self.statFD = statFD
    }

    deinit {
        close(fd)
        if statFD >= 0 { close(statFD) }
    }

    /// Whether the thread sleeps in the kernel now (state `S` or `D`: a sleep, a lock, a
    /// socket, the disk) rather than runs or waits for a CPU; `nil` when unknown.
    func isSleeping() -> Bool? {
        guard statFD >= 0 else { return nil }
        // `<tid> (<name, at most 15 bytes>) <state> …`: the state is within the first 64 bytes.
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw -> Bool? in
            let count = pread(statFD, raw.baseAddress, raw.count, 0)
            guard count > 0 else { return nil }
            return Self.parseSleeping(UnsafeRawBufferPointer(rebasing: raw.prefix(count)))
        }
    }

    /// Parses the state out of the start of `/proc/<tid>/stat`.
    static func parseSleeping(_ bytes: UnsafeRawBufferPointer) -> Bool? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")), close + 2 < bytes.count else { return nil }
        let state = bytes[close + 2]
        return state == UInt8(ascii: "S") || state == UInt8(ascii: "D")
    }

    /// The counters now: nanoseconds on a CPU and waiting for one since the thread started.
    func read() -> (onCPU: UInt64, waitingForCPU: UInt64)? {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { raw -> (UInt64, UInt64)? in
            let count = pread(fd, raw.baseAddress, raw.count, 0)
            guard count > 0 else { return nil }
            return Self.parse(UnsafeRawBufferPointer(rebasing: raw.prefix(count)))
        }
    }

    /// Parses `<on cpu ns> <waiting ns> <timeslices>\n`.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> (onCPU: UInt64, waitingForCPU: UInt64)? {
        var first: UInt64?
        var current: UInt64 = 0
        var inNumber = false
        for byte in bytes {
            if byte >= 48 && byte <= 57 {
                current = current &* 10 &+ UInt64(byte - 48)
                inNumber = true
            } else if inNumber {
                if let first { return (first, current) }
                first = current
                current = 0
                inNumber = false
            }
        }
        if inNumber, let first { return (first, current) }
        return nil
    }
}
