import BrigadeExecutors
import Logging

extension PostgresPool: ManagedPool {
    /// `database`.
    public var name: String { "database" }
    /// ``PoolKind/database``.
    public var kind: PoolKind { .database }

    /// The pool in the terms every managed pool shares: connections open (size), lent
    /// (active), callers waiting (queued), acquisitions (completed) and their timeouts
    /// (rejected); the acquisition wait and the time connections were held.
    public func snapshot() -> PoolSnapshot {
        let stats = statistics
        return PoolSnapshot(
            name: name, kind: kind, takenAtNanoseconds: monotonicNanoseconds(), size: stats.total, active: stats.active,
            queued: stats.waiting, coreSize: configuration.effectiveMinIdle, maxSize: configuration.maxSize,
            queueCapacity: nil, completed: UInt64(stats.acquired), rejected: UInt64(stats.timeouts),
            queueWait: stats.acquireWait, service: stats.hold)
    }

    /// Ready when a connection answers `SELECT 1` within `timeout`.
    /// - Throws: ``PoolTimeout`` or ``PostgresError``.
    public func checkReadiness(timeout: Duration) throws {
        try withConnection(deadline: .now + timeout) { connection in
            _ = try connection.query("SELECT 1", deadline: .now + timeout)
        }
    }

    /// Warns when `database.max-size` × `instances` exceeds what the server accepts
    /// (`max_connections` less `superuser_reserved_connections`), and when back threads
    /// outnumber connections by far (more than twice): they would queue for connections
    /// rather than run.
    public func startupChecks(_ facts: StartupFacts, logger: Logger) {
        let demand = configuration.maxSize * facts.instances
        do {
            let budget = try withConnection(deadline: .now + .seconds(5)) { connection -> (Int, Int) in
                let rows = try connection.query(
                    "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int",
                    deadline: .now + .seconds(5))
                guard let row = rows.first else { return (0, 0) }
                return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
            }
            let available = budget.0 - budget.1
            if demand > available {
                logger.warning(
                    "database connection budget exceeded: database.max-size × instances is more than the server accepts",
                    metadata: [
                        "database.max-size": "\(configuration.maxSize)", "instances": "\(facts.instances)",
                        "needed": "\(demand)", "max_connections": "\(budget.0)",
                        "superuser_reserved_connections": "\(budget.1)",
                    ])
            }
        } catch {
            logger.warning("could not check the database connection budget", metadata: ["error": "\(error)"])
        }
        if facts.backThreads > 2 * configuration.maxSize {
            logger.warning(
                "back threads outnumber database connections by far: threads that use the database will wait for connections; lower back.max-threads or raise database.max-size",
                metadata: ["back-threads": "\(facts.backThreads)", "database.max-size": "\(configuration.maxSize)"])
        }
    }

    /// Records acquisition waits and hold times into `timers` from now on.
    public func instrument(_ timers: PoolTimers) {
        state.withLock { $0.counters.timers = timers }
    }

    /// Shuts the pool down (see ``shutdown()``).
    public func close() async { shutdown() }
}
