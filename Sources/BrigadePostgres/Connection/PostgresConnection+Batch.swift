extension PostgresConnection {
    /// Runs a batch of independent statements and returns each one's rows, in order.
    ///
    /// With `pipelined` (the default) the batch uses libpq's pipeline mode: every statement
    /// (and the `Parse` of any not yet prepared) is written at once, followed by one `Sync`,
    /// so the whole batch costs one round trip. The statements run in one implicit
    /// transaction: if one fails, the ones after it are skipped and the earlier ones are
    /// rolled back (unless the batch has its own `BEGIN`/`COMMIT`, or the connection is
    /// inside ``withTransaction(isolation:deadline:_:)``, whose transaction it then joins).
    /// - Parameters:
    ///   - batch: The statements.
    ///   - pipelined: `false` runs them one after the other (one round trip each).
    ///   - deadline: When to cancel; default the current ``WorkContext``'s.
    /// - Returns: One ``PostgresRows`` per statement.
    /// - Throws: ``PostgresError`` of the first statement that failed.
    public func execute(
        _ batch: PostgresBatch,
        pipelined: Bool = true,
        deadline: ContinuousClock.Instant? = nil
    ) throws -> [PostgresRows] {
        try batch.validate()
        let scope = try OperationScope.current(deadline: deadline ?? leaseDeadline)
        if batch.entries.isEmpty { return [] }
        guard pipelined else {
            return try batch.entries.map { try run(sql: $0.sql, bindings: $0.bindings, scope: scope) }
        }
        let pq = try handle()
        guard pq.enterPipelineMode() else { throw PostgresError.connection(pq.errorMessage) }

        enum Step {
            case prepare(StatementCache.Key, String)
            case query(Int)
        }
        var steps: [Step] = []
        steps.reserveCapacity(batch.entries.count)
        var preparedHere: [StatementCache.Key: String] = [:]
        for (index, entry) in batch.entries.enumerated() {
            let key = StatementCache.Key(sql: entry.sql, types: entry.bindings.types)
            let name: String
            if let cached = statements.lookup(key) ?? preparedHere[key] {
                name = cached
            } else {
                name = statements.makeName()
                guard pq.sendPrepare(name: name, sql: entry.sql, types: entry.bindings.types) else {
                    _ = pq.exitPipelineMode()
                    throw PostgresError.connection(pq.errorMessage)
                }
                preparedHere[key] = name
                steps.append(.prepare(key, name))
            }
            guard pq.sendQueryPrepared(name: name, bindings: entry.bindings) else {
                throw PostgresError.connection(pq.errorMessage)
            }
            steps.append(.query(index))
        }
        guard pq.pipelineSync() else { throw PostgresError.connection(pq.errorMessage) }

        let flight = CommandFlight(pq: pq, scope: scope)
        defer {
            flight.finish()
            if flight.abandoned { close() }
        }
        flight.sent()
        var outputs = [PostgresRows](repeating: PostgresRows(), count: batch.entries.count)
        var firstError: PostgresError?
        var evicted: [String] = []
        for step in steps {
            var failed = false
            var last: LibPQResult?
            while let result = try flight.next() {
                switch result.status {
                case .error:
                    failed = true
                    if firstError == nil { firstError = flight.error(for: result) }
                case .pipelineAborted:
                    failed = true
                default:
                    last = result
                }
            }
            switch step {
            case .prepare(let key, let name):
                if !failed, let old = statements.insert(key, name: name) { evicted.append(old) }
            case .query(let index):
                if !failed, let last { outputs[index] = PostgresRows(result: last) }
            }
        }
        // The Sync's own result closes the pipeline.
        while let result = try flight.next() {
            if result.status == .pipelineSync { break }
        }
        guard pq.exitPipelineMode() else { throw PostgresError.connection(pq.errorMessage) }
        for name in evicted {
            _ = try exchange(scope) { $0.sendSimple("DEALLOCATE \(PostgresQuery.quoteIdentifier(name))") }
        }
        if let firstError { throw firstError }
        return outputs
    }
}
