extension PostgresConnection {
    /// Transaction isolation levels.
    public enum IsolationLevel: String, Sendable, Hashable {
        /// `READ COMMITTED` (PostgreSQL's default).
        case readCommitted = "READ COMMITTED"
        /// `REPEATABLE READ`
        case repeatableRead = "REPEATABLE READ"
        /// `SERIALIZABLE`
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    ///
    /// Nested calls use savepoints: an inner block that throws rolls back to its savepoint
    /// only, and the outer block decides whether to go on.
    /// ```swift
    /// try connection.withTransaction { tx in
    ///     try tx.execute("UPDATE accounts SET balance = balance - \(amount) WHERE id = \(from)")
    ///     try tx.execute("UPDATE accounts SET balance = balance + \(amount) WHERE id = \(to)")
    /// }
    /// ```
    /// - Parameters:
    ///   - isolation: The isolation level of an outermost transaction; ignored when nested.
    ///   - deadline: Bounds `BEGIN`/`COMMIT`; default the current ``WorkContext``'s.
    ///   - body: The work, given this connection; runs on the calling thread.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws (after the rollback), or ``PostgresError`` from
    ///   `BEGIN`/`COMMIT` (a failed `COMMIT` means nothing was committed).
    @discardableResult
    public func withTransaction<Result>(
        isolation: IsolationLevel? = nil,
        deadline: ContinuousClock.Instant? = nil,
        _ body: (PostgresConnection) throws -> Result
    ) throws -> Result {
        let depth = transactionDepth
        let savepoint = "brigade_sp\(depth)"
        if depth == 0 {
            let begin = isolation.map { "BEGIN ISOLATION LEVEL \($0.rawValue)" } ?? "BEGIN"
            try control(begin, deadline: deadline)
        } else {
            try control("SAVEPOINT \(savepoint)", deadline: deadline)
        }
        transactionDepth = depth + 1
        let result: Result
        do {
            result = try body(self)
        } catch {
            transactionDepth = depth
            if depth == 0 {
                try? control("ROLLBACK", deadline: nil, ignoringContext: true)
            } else {
                try? control("ROLLBACK TO SAVEPOINT \(savepoint)", deadline: nil, ignoringContext: true)
                try? control("RELEASE SAVEPOINT \(savepoint)", deadline: nil, ignoringContext: true)
            }
            throw error
        }
        transactionDepth = depth
        if depth == 0 {
            try control("COMMIT", deadline: deadline)
        } else {
            try control("RELEASE SAVEPOINT \(savepoint)", deadline: deadline)
        }
        return result
    }

    /// Whether a ``withTransaction(isolation:deadline:_:)`` block is running on this connection.
    public var isInTransaction: Bool { transactionDepth > 0 }

    /// Runs a transaction-control statement (fixed text, no parameters).
    /// - Parameter ignoringContext: For rollbacks, which must run even when the work was
    ///   cancelled or its deadline passed (a short deadline of their own bounds them).
    private func control(_ sql: String, deadline: ContinuousClock.Instant?, ignoringContext: Bool = false) throws {
        let scope = ignoringContext
            ? OperationScope(deadline: .now + .seconds(5), cancellation: nil)
            : try OperationScope.current(deadline: deadline ?? leaseDeadline)
        _ = try exchange(scope) { $0.sendSimple(sql) }
    }
}
