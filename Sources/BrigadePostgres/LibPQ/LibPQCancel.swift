import BrigadeExecutors
import CBrigadeLibPQ

/// Owns a `PGcancel*`, which sends a cancel request for whatever its connection is running.
///
/// Cancel requests open a separate, short connection to the server, so ``cancel()`` may be
/// called from any thread while the owning connection's thread is blocked in a query.
final class LibPQCancel: @unchecked Sendable {
    // @unchecked Sendable: libpq documents PQcancel as safe to call from any thread (even a
    // signal handler) on a PGcancel object; the object is freed only in deinit, when no
    // cancellation handler can still hold a reference.
    private let raw: OpaquePointer

    init?(connection: OpaquePointer) {
        guard let raw = PQgetCancel(connection) else { return nil }
        self.raw = raw
    }

    deinit { PQfreeCancel(raw) }

    /// Sends the cancel request; returns whether it was sent. Blocks for a connection
    /// round trip: call it from the connection's own thread, or use ``cancelInBackground()``.
    @discardableResult
    func cancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(raw, &buffer, Int32(buffer.count)) == 1
    }

    /// Sends the cancel request from a small dedicated pool, so that whoever signalled the
    /// cancellation — an event loop noticing a disconnect, a timer — never blocks on it.
    func cancelInBackground() {
        do {
            try Self.senders.execute { self.cancel() }
        } catch {
            cancel()  // the sender pool is saturated or gone: better late than never
        }
    }

    /// Threads that send cancel requests (`back:pg-cancel`); idle ones exit after a minute.
    private static let senders: ThreadPool = {
        let configuration = ThreadPool.Configuration(
            name: "pg-cancel", tier: .back("pg-cancel"), coreThreads: 0, maxThreads: 4, queueCapacity: 1024,
            keepAlive: .seconds(60), rejectionPolicy: .abort)
        do {
            return try ThreadPool(configuration: configuration)
        } catch {
            preconditionFailure("the cancel-request pool's fixed configuration is valid: \(error)")
        }
    }()
}
