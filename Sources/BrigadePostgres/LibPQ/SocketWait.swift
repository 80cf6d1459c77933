import BrigadeExecutors
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Waiting on a socket with `poll(2)`, bounded by a deadline on the continuous clock.
enum SocketWait {
    enum Direction { case read, write }

    /// Waits until `socket` is ready in `direction` or `deadline` passes.
    /// - Parameter extra: Another descriptor to watch for reading (a wake-up pipe), or -1.
    /// - Returns: `.ready`, `.extra` when `extra` became readable, or `.timedOut`.
    static func wait(
        _ socket: Int32,
        for direction: Direction,
        deadline: ContinuousClock.Instant?,
        extra: Int32 = -1
    ) -> Outcome {
        var fds = [
            pollfd(fd: socket, events: Int16(direction == .read ? POLLIN : POLLOUT), revents: 0),
            pollfd(fd: extra, events: Int16(POLLIN), revents: 0),
        ]
        let count: nfds_t = extra >= 0 ? 2 : 1
        while true {
            let timeout = milliseconds(until: deadline)
            if timeout == 0 { return .timedOut }  // rounded up, so 0 means the deadline passed
            fds[0].revents = 0
            fds[1].revents = 0
            let rc = poll(&fds, count, timeout)
            if rc > 0 {
                if count == 2, fds[1].revents != 0 { return .extra }
                return .ready
            }
            if rc == 0 {
                if let deadline, ContinuousClock.now < deadline { continue }
                return .timedOut
            }
            if errno == EINTR { continue }
            return .ready  // let libpq discover the error on the socket
        }
    }

    enum Outcome { case ready, extra, timedOut }

    /// Milliseconds until `deadline`, rounded up, for `poll`; -1 for no deadline.
    static func milliseconds(until deadline: ContinuousClock.Instant?) -> Int32 {
        guard let deadline else { return -1 }
        let left = ContinuousClock.now.duration(to: deadline)
        if left <= .zero { return 0 }
        return Int32(clamping: left.clampedNanoseconds.addingSaturating(999_999) / 1_000_000)
    }
}

/// A pipe used to wake a `poll` from another thread (a cancellation handler).
final class WakeupPipe: @unchecked Sendable {
    // @unchecked Sendable: the two descriptors are set once in init and closed in deinit;
    // `wake()` only writes one byte, which `write(2)` makes safe from any thread; `drain()`
    // is called only by the one thread that waits on `readEnd` (its owner).
    let readEnd: Int32
    private let writeEnd: Int32

    init?() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after a wake-up, so the next `poll` waits again. Never blocks.
    func drain() {
        var pending = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        var bytes = [UInt8](repeating: 0, count: 64)
        while poll(&pending, 1, 0) > 0, pending.revents & Int16(POLLIN) != 0 {
            guard read(readEnd, &bytes, bytes.count) > 0 else { return }
            pending.revents = 0
        }
    }
}
