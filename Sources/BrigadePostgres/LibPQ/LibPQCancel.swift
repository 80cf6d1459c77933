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

    /// Sends the cancel request; returns whether it was sent.
    @discardableResult
    func cancel() -> Bool {
        var buffer = [CChar](repeating: 0, count: 256)
        return PQcancel(raw, &buffer, Int32(buffer.count)) == 1
    }
}
