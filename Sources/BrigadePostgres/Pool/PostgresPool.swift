import BrigadeExecutors
import Foundation
import Logging
import Synchronization

/// A pool of blocking PostgreSQL connections with HikariCP's semantics, for back-tier threads.
///
/// Callers borrow a connection with ``withConnection(deadline:fileID:line:function:_:)`` or
/// ``withTransaction(isolation:deadline:fileID:line:function:_:)``; the calling thread blocks
/// until one is free (waiters are served first come, first served), a new one is opened
/// (below ``Configuration/maxSize``), or the wait ends with ``PoolTimeout`` at
/// ``Configuration/connectionTimeout`` or the request's earlier deadline.
///
/// Connections idle longer than ``Configuration/validationThreshold`` are checked before
/// they are lent, so connections broken by a server restart are replaced without the caller
/// noticing; broken connections returned by callers are closed and replaced. Housekeeping on
/// a background thread keeps ``Configuration/minIdle`` connections ready, retires idle ones
/// past ``Configuration/idleTimeout`` and old ones past ``Configuration/maxLifetime``, and
/// reports connections held longer than ``Configuration/leakDetectionThreshold``.
///
/// A call on a front-tier thread is reported as ``Configuration/frontTierAccess`` says, one
/// from `async` code (a Swift task) as ``Configuration/asyncTierAccess`` says; on an
/// event-loop thread it always throws. Blocking calls belong on back-tier threads: a
/// `Callable`, or `try await app.executors.run { … }` from `async` code.
///
/// All methods are thread-safe. The lifecycle is decided by a state machine under one mutex;
/// connecting, validating, closing and logging happen outside it.
public final class PostgresPool: Sendable {
    /// The settings the pool was made with.
    public let configuration: Configuration
    let logger: Logger
    let state: PoolLock<Locked>
    private let stopHousekeeping = DispatchSemaphoreBox()
    /// The slot each thread used last, so it gets the same connection back when idle.
    let lastSlot = ThreadLocalSlot()
    /// The `file:line` of async call sites already warned about (``Configuration/asyncTierAccess``).
    private let warnedAsyncSites = Mutex<Set<String>>([])

    struct Counters {
        var acquired = 0
        var acquireNanos: UInt64 = 0
        var maxAcquireNanos: UInt64 = 0
        var timeouts = 0
        var created = 0
        var closed = 0
        var leaks = 0
        var acquireWait = LatencyHistogram()
        var hold = LatencyHistogram()
        /// The server's metrics, once it manages the pool. swift-metrics is a backend's code:
        /// the counting methods return the timers, and the caller records into them after
        /// unlocking (``PoolLock``'s rule).
        var timers: PoolTimers?

        /// Counts one acquisition; returns the timers to record its wait into, outside the lock.
        mutating func recordAcquired(nanoseconds: UInt64) -> PoolTimers? {
            acquired += 1
            acquireNanos &+= nanoseconds
            maxAcquireNanos = max(maxAcquireNanos, nanoseconds)
            acquireWait.record(nanoseconds: nanoseconds)
            return timers
        }

        /// Counts one lease's hold time; returns the timers to record it into, outside the lock.
        mutating func recordHeld(nanoseconds: UInt64) -> PoolTimers? {
            hold.record(nanoseconds: nanoseconds)
            return timers
        }
    }

    struct Locked: ~Copyable {
        var machine: PoolStateMachine<PooledConnection>
        var waiters: [Int: PoolWaiter] = [:]
        var counters = Counters()
        var lastConnectionError: PostgresError?
    }

    /// What to do after unlocking.
    struct Followup {
        var wake: [PoolWaiter] = []
        var close: [PooledConnection] = []
        var create: [Int] = []
        var leaks: [PoolStateMachine<PooledConnection>.Leak] = []
    }

    struct Lease {
        let slot: Int
        let pooled: PooledConnection
    }

    /// Creates the pool and starts its housekeeping thread, which opens ``Configuration/minIdle``
    /// connections in the background. Never blocks on the database.
    /// - Parameters:
    ///   - configuration: The settings; validated here.
    ///   - logger: Where leaks, tier warnings and connection failures are logged.
    /// - Throws: ``ConfigurationError`` for an invalid setting.
    public init(configuration: Configuration, logger: Logger = Logger(label: "brigade.postgres.pool")) throws(ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let settings = PoolStateMachine<PooledConnection>.Settings(
            maxSize: configuration.maxSize, minIdle: configuration.effectiveMinIdle,
            idleTimeout: configuration.idleTimeout, maxLifetime: configuration.maxLifetime,
            validationThreshold: configuration.validationThreshold,
            leakDetectionThreshold: configuration.leakDetectionThreshold)
        self.state = PoolLock(Locked(machine: PoolStateMachine(settings: settings)))
        startHousekeeping()
    }

    deinit {
        stopHousekeeping.signal()
    }

    // MARK: public API

    /// Lends a connection to `body` and takes it back when `body` returns or throws.
    ///
    /// Runs on the calling thread, which blocks while waiting for a connection.
    /// ```swift
    /// let user = try pool.withConnection { connection in
    ///     try connection.query("SELECT * FROM users WHERE id = \(id)").first?.decode(as: User.self)
    /// }
    /// ```
    /// - Parameters:
    ///   - deadline: When to stop waiting, and the default deadline of the statements `body`
    ///     runs; default the current ``WorkContext``'s.
    ///   - fileID: The caller's file, for leak reports (leave the default).
    ///   - line: The caller's line, for leak reports (leave the default).
    ///   - function: The caller's function, for leak reports (leave the default).
    ///   - body: The work; don't keep the connection after it returns.
    /// - Returns: What `body` returns.
    /// - Throws: ``PoolTimeout`` when no connection came in time; ``PostgresError``
    ///   (`.tierViolation`, `.cancelled`, `.poolShutdown`); what `body` throws.
    public func withConnection<Result>(
        deadline: ContinuousClock.Instant? = nil,
        fileID: String = #fileID,
        line: UInt = #line,
        function: String = #function,
        _ body: (PostgresConnection) throws -> Result
    ) throws -> Result {
        // The thread's name is only needed for leak and tier reports; reading it can cost a
        // system call on threads Brigade did not start, so skip it when nothing reports.
        let needsThreadName = configuration.leakDetectionThreshold != nil || ThreadTier.current == .front
        let site = LeaseSite(
            thread: needsThreadName ? ThreadTier.currentThreadName : "-", fileID: fileID, line: line, function: function)
        let lease = try acquire(deadline: deadline, site: site)
        lease.pooled.connection.leaseDeadline = deadline
        let leasedAt = monotonicNanoseconds()
        defer { release(lease, heldSince: leasedAt) }
        return try body(lease.pooled.connection)
    }

    /// Lends a connection and runs `body` in a transaction on it: committed when `body`
    /// returns, rolled back when it throws.
    /// - Parameters:
    ///   - isolation: The isolation level. Default the server's (read committed).
    ///   - deadline: As for ``withConnection(deadline:fileID:line:function:_:)``.
    ///   - fileID: The caller's file, for leak reports (leave the default).
    ///   - line: The caller's line, for leak reports (leave the default).
    ///   - function: The caller's function, for leak reports (leave the default).
    ///   - body: The work, given the connection.
    /// - Returns: What `body` returns.
    /// - Throws: As ``withConnection(deadline:fileID:line:function:_:)``, and
    ///   ``PostgresError`` from `BEGIN`/`COMMIT`.
    @discardableResult
    public func withTransaction<Result>(
        isolation: PostgresConnection.IsolationLevel? = nil,
        deadline: ContinuousClock.Instant? = nil,
        fileID: String = #fileID,
        line: UInt = #line,
        function: String = #function,
        _ body: (PostgresConnection) throws -> Result
    ) throws -> Result {
        try withConnection(deadline: deadline, fileID: fileID, line: line, function: function) { connection in
            try connection.withTransaction(isolation: isolation, deadline: deadline, body)
        }
    }

    /// Runs one statement on a pooled connection and returns its rows (which stay readable
    /// after the connection went back).
    /// - Parameters:
    ///   - query: The statement; interpolated values are bound as parameters.
    ///   - parameters: Values for `$1`, `$2`, … when the query has no interpolated values.
    ///   - deadline: As for ``withConnection(deadline:fileID:line:function:_:)``.
    /// - Returns: The rows.
    /// - Throws: ``PoolTimeout``, ``PostgresError``.
    @discardableResult
    public func query(
        _ query: PostgresQuery,
        _ parameters: [(any PostgresBindable)?] = [],
        deadline: ContinuousClock.Instant? = nil,
        fileID: String = #fileID,
        line: UInt = #line,
        function: String = #function
    ) throws -> PostgresRows {
        try withConnection(deadline: deadline, fileID: fileID, line: line, function: function) {
            try $0.query(query, parameters, deadline: deadline)
        }
    }

    /// Runs one statement on a pooled connection and tells how many rows it changed.
    /// - Parameters:
    ///   - query: The statement; interpolated values are bound as parameters.
    ///   - parameters: Values for `$1`, `$2`, … when the query has no interpolated values.
    ///   - deadline: As for ``withConnection(deadline:fileID:line:function:_:)``.
    /// - Returns: The number of rows changed.
    /// - Throws: ``PoolTimeout``, ``PostgresError``.
    @discardableResult
    public func execute(
        _ query: PostgresQuery,
        _ parameters: [(any PostgresBindable)?] = [],
        deadline: ContinuousClock.Instant? = nil,
        fileID: String = #fileID,
        line: UInt = #line,
        function: String = #function
    ) throws -> Int {
        try self.query(query, parameters, deadline: deadline, fileID: fileID, line: line, function: function).affectedRows
    }

    /// A snapshot of the pool's counts and counters.
    public var statistics: Statistics {
        state.withLock { locked in
            Statistics(
                total: locked.machine.total, active: locked.machine.leasedCount, idle: locked.machine.idleCount,
                connecting: locked.machine.connectingCount, waiting: locked.machine.waiters.count,
                acquired: locked.counters.acquired, totalAcquireNanoseconds: locked.counters.acquireNanos,
                maxAcquireNanoseconds: locked.counters.maxAcquireNanos, timeouts: locked.counters.timeouts,
                created: locked.counters.created, closed: locked.counters.closed, leaksDetected: locked.counters.leaks,
                acquireWait: locked.counters.acquireWait, hold: locked.counters.hold)
        }
    }

    /// Shuts the pool down: waiters fail, idle connections close now, lent ones when they
    /// come back; later calls throw ``PostgresError`` `.poolShutdown`. Safe to call twice.
    public func shutdown() {
        stopHousekeeping.signal()
        let followup = update { machine, _ in machine.shutDown() }
        run(followup)
    }

    // MARK: housekeeping

    private func startHousekeeping() {
        let tick = configuration.tick
        let stop = stopHousekeeping
        let thread = Thread { [weak self] in
            ThreadTier.markCurrentThread(.back("postgres-housekeeping"), name: "pg-housekeeping")
            while true {
                if let pool = self { pool.housekeep() } else { return }
                if stop.wait(until: .now + tick) {
                    stop.signal()  // leave the signal for anyone else watching
                    return
                }
            }
        }
        thread.start()
    }

    /// One round of upkeep (also callable from tests).
    func housekeep() {
        let followup = update { machine, now in machine.housekeeping(now: now) }
        run(followup)
    }

    // MARK: helpers

    /// Advances the machine under the lock and resolves its handoffs to waiters.
    func update(
        _ event: (inout PoolStateMachine<PooledConnection>, ContinuousClock.Instant) -> PoolStateMachine<PooledConnection>.Actions
    ) -> Followup {
        let now = ContinuousClock.now
        return state.withLock { locked in
            let actions = event(&locked.machine, now)
            return Self.resolve(actions, in: &locked)
        }
    }

    static func resolve(_ actions: PoolStateMachine<PooledConnection>.Actions, in locked: inout Locked) -> Followup {
        var followup = Followup(close: actions.close, create: actions.create, leaks: actions.leaks)
        for handoff in actions.handoffs {
            guard let waiter = locked.waiters.removeValue(forKey: handoff.waiter) else { continue }
            waiter.outcome = .wake(handoff.wake)
            followup.wake.append(waiter)
        }
        locked.counters.closed += actions.close.count
        locked.counters.leaks += actions.leaks.count
        return followup
    }

    /// Carries out what the machine decided, outside the lock.
    func run(_ followup: Followup) {
        for waiter in followup.wake { waiter.semaphore.signal() }
        for pooled in followup.close { pooled.connection.close() }
        for leak in followup.leaks {
            logger.warning(
                "connection held longer than the leak detection threshold; it may have leaked",
                metadata: [
                    "thread": .string(leak.site.thread),
                    "file": .string(leak.site.fileID),
                    "line": .stringConvertible(leak.site.line),
                    "function": .string(leak.site.function),
                    "held-ms": .stringConvertible(leak.heldFor.clampedNanoseconds / 1_000_000),
                ])
        }
        for slot in followup.create {
            do {
                let pooled = try open(until: .now + configuration.connectionTimeout, retrying: false)
                let next = update { machine, now in machine.connectedForPool(slot, pooled, now: now) }
                state.withLock { $0.counters.created += 1 }
                run(next)
            } catch {
                let next = update { machine, _ in machine.connectFailed(slot) }
                run(next)
            }
        }
    }

    /// Opens a connection, retrying with backoff until `deadline` when `retrying`.
    func open(until deadline: ContinuousClock.Instant, retrying: Bool) throws -> PooledConnection {
        var backoff: Duration = .milliseconds(10)
        while true {
            do {
                let connection = try PostgresConnection(
                    url: configuration.url, connectTimeout: configuration.connectionTimeout, deadline: deadline,
                    statementCacheCapacity: configuration.statementCacheCapacity, logger: logger)
                return PooledConnection(connection)
            } catch let error as PostgresError {
                state.withLock { $0.lastConnectionError = error }
                let left = ContinuousClock.now.duration(to: deadline)
                guard retrying, error.code != .cancelled, left > .zero else { throw error }
                logger.debug("connecting failed; retrying", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: min(backoff, left).seconds)
                backoff = min(backoff * 2, .seconds(1))
            }
        }
    }

    func recordAcquired(since start: ContinuousClock.Instant) {
        let nanos = start.duration(to: .now).clampedNanoseconds
        let timers = state.withLock { $0.counters.recordAcquired(nanoseconds: nanos) }
        timers?.recordQueueWait(nanoseconds: nanos)
    }

    func timeout(_ reason: PoolTimeout.Reason, since start: ContinuousClock.Instant, lastError: PostgresError?) -> PoolTimeout {
        let last = state.withLock { locked -> PostgresError? in
            locked.counters.timeouts += 1
            return lastError ?? locked.lastConnectionError
        }
        return PoolTimeout(reason: reason, waited: start.duration(to: .now), statistics: statistics, lastConnectionError: last)
    }

    func checkTier(_ site: LeaseSite) throws {
        let tier = ThreadTier.current
        if tier == .eventLoop {
            throw PostgresError(
                code: .tierViolation,
                message: "blocking database call on an event-loop thread (\(site.fileID):\(site.line)); run it on a back executor")
        }
        // Swift's cooperative pool knows nothing of tiers: a running task is what tells it.
        if withUnsafeCurrentTask(body: { $0 != nil }) {
            try checkAsyncAccess(site)
            return
        }
        switch tier {
        case .front:
            switch configuration.frontTierAccess {
            case .allow:
                break
            case .warn:
                logger.warning(
                    "blocking database call on a front-tier thread; return a Callable to run it on a back executor",
                    metadata: site.metadata)
            case .fail:
                throw PostgresError(
                    code: .tierViolation,
                    message: "blocking database call on a front-tier thread (\(site.fileID):\(site.line)); database.front-tier-access is fail")
            }
        case .back, .unmanaged, .eventLoop:
            break
        }
    }

    /// A blocking call from `async` code: reported as ``Configuration/asyncTierAccess`` says,
    /// a warning once per call site.
    private func checkAsyncAccess(_ site: LeaseSite) throws {
        switch configuration.asyncTierAccess {
        case .allow:
            break
        case .warn:
            let first = warnedAsyncSites.withLock { $0.insert("\(site.fileID):\(site.line)").inserted }
            guard first else { return }
            logger.warning(
                "blocking database call from async code holds the thread running the task for the whole call (a front thread for an async handler, otherwise one of Swift's concurrency pool, as many as cores); await it on a back executor: try await app.executors.run { ... } (reported once per call site)",
                metadata: site.metadata)
        case .fail:
            throw PostgresError(
                code: .tierViolation,
                message: "blocking database call from async code (\(site.fileID):\(site.line)) would hold the thread running the task; await it on a back executor with app.executors.run { ... }; database.async-tier-access is fail")
        }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
