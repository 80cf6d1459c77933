import BrigadeExecutors

/// The deadline and cancellation signal one database call runs under: an explicit deadline,
/// or the current ``WorkContext``'s.
struct OperationScope {
    let deadline: ContinuousClock.Instant?
    let cancellation: CancellationSignal?

    /// The scope for a call on the calling thread.
    /// - Throws: ``PostgresError`` `.cancelled` when the work is already cancelled, `.timeout`
    ///   when the deadline has already passed: no new work starts then.
    static func current(deadline explicit: ContinuousClock.Instant?) throws(PostgresError) -> OperationScope {
        let context = WorkContext.current
        let scope = OperationScope(deadline: explicit ?? context?.deadline, cancellation: context?.cancellation)
        try scope.check()
        return scope
    }

    func check() throws(PostgresError) {
        if let cancellation, let reason = cancellation.reason { throw PostgresError.cancelled(reason) }
        if let deadline, ContinuousClock.now >= deadline {
            throw PostgresError.timeout("deadline passed before the statement was sent")
        }
    }
}
