import BrigadeExecutors
import Logging

/// One blocking connection to PostgreSQL.
///
/// Every call blocks the calling thread until the server answers, so use it on a back
/// executor's thread, never on an event loop. A connection is used by one thread at a time
/// (it is not `Sendable`); share work across threads through a ``PostgresPool``.
///
/// Statements take their values as bound parameters only — interpolated into a
/// ``PostgresQuery`` literal or passed as an array — and are prepared once per connection and
/// cached. Each call honours a deadline: the explicit `deadline` argument, or else the
/// current ``WorkContext``'s; a statement still running when it passes (or when the work is
/// cancelled) is cancelled on the server and the call throws ``PostgresError`` `.timeout`
/// (or `.cancelled`). Once the work is cancelled, calls throw at once.
///
/// ```swift
/// let connection = try PostgresConnection(url: "postgres://app@localhost/app")
/// let rows = try connection.query("SELECT id, name FROM users WHERE id = \(id)")
/// ```
public final class PostgresConnection {
    /// Where the server side of the connection stands with respect to transactions.
    public enum TransactionStatus: Sendable, Hashable {
        /// Not in a transaction block.
        case idle
        /// A command is in progress.
        case active
        /// Inside a transaction block.
        case inTransaction
        /// Inside a failed transaction block (only a rollback helps).
        case failedTransaction
        /// The connection is bad.
        case unknown
    }

    var pq: LibPQConnection?
    var statements: StatementCache
    var transactionDepth = 0
    /// The deadline of the pool lease this connection is lent under, used when a call gives
    /// none (before the ``WorkContext``'s).
    var leaseDeadline: ContinuousClock.Instant?
    /// The logger this connection reports on.
    public let logger: Logger
    /// When the connection was opened.
    public let openedAt: ContinuousClock.Instant

    /// Opens a connection.
    /// - Parameters:
    ///   - url: A `postgres://user:password@host:port/database?…` URL or a libpq conninfo
    ///     string (`host=/tmp/sock port=5432 dbname=app user=app`).
    ///   - connectTimeout: How long connecting may take. Default 10 s.
    ///   - deadline: An earlier limit for connecting; default the current ``WorkContext``'s.
    ///   - statementCacheCapacity: How many prepared statements to keep per connection
    ///     (least recently used are deallocated); 0 disables the cache. Default 256.
    ///   - logger: Where to log. Default label `brigade.postgres`.
    /// - Throws: ``PostgresError`` `.connection` or `.connectTimeout`.
    public init(
        url: String,
        connectTimeout: Duration = .seconds(10),
        deadline: ContinuousClock.Instant? = nil,
        statementCacheCapacity: Int = 256,
        logger: Logger = Logger(label: "brigade.postgres")
    ) throws {
        let scope = try OperationScope.current(deadline: deadline)
        let timeoutDeadline = ContinuousClock.now + connectTimeout
        let connectDeadline = scope.deadline.map { min($0, timeoutDeadline) } ?? timeoutDeadline
        self.pq = try LibPQConnection.connect(conninfo: url, deadline: connectDeadline)
        self.statements = StatementCache(capacity: statementCacheCapacity)
        self.logger = logger
        self.openedAt = .now
    }

    /// Whether ``close()`` was called (or the connection was given up after a lost cancel).
    public var isClosed: Bool { pq == nil }

    /// Whether the connection is open and libpq considers it healthy. A dead socket is only
    /// noticed by the next round trip; see ``validate(timeout:)``.
    public var isUsable: Bool { pq?.isOK ?? false }

    /// The server process serving this connection (for `pg_cancel_backend`, logs).
    public var backendPID: Int32 { pq?.backendPID ?? 0 }

    /// The server's version as a number (`150018` for 15.18).
    public var serverVersion: Int { pq?.serverVersion ?? 0 }

    /// The server's transaction status as of the last exchange.
    public var transactionStatus: TransactionStatus { pq?.transactionStatus ?? .unknown }

    /// The number of statements prepared and cached on this connection.
    public var cachedStatementCount: Int { statements.count }

    /// Closes the connection; later calls throw ``PostgresError`` `.connectionClosed`.
    public func close() {
        pq = nil
        statements.removeAll()
        transactionDepth = 0
    }

    // MARK: statements

    /// Runs one statement and returns its rows.
    ///
    /// ```swift
    /// let rows = try connection.query("SELECT * FROM users WHERE email = \(email)")
    /// let rows = try connection.query("SELECT * FROM users WHERE id = $1 AND org = $2", [id, org])
    /// ```
    /// - Parameters:
    ///   - query: The statement; interpolated values are bound as parameters.
    ///   - parameters: Values for `$1`, `$2`, … when the query has no interpolated values
    ///     (`nil` is NULL).
    ///   - deadline: When to cancel the statement; default the current ``WorkContext``'s.
    /// - Returns: The rows (empty for statements that return none).
    /// - Throws: ``PostgresError`` (server errors carry ``PostgresError/sqlState``).
    @discardableResult
    public func query(
        _ query: PostgresQuery,
        _ parameters: [(any PostgresBindable)?] = [],
        deadline: ContinuousClock.Instant? = nil
    ) throws -> PostgresRows {
        let scope = try OperationScope.current(deadline: deadline ?? leaseDeadline)
        let bindings = try Self.bindings(for: query, parameters)
        return try run(sql: query.sql, bindings: bindings, scope: scope)
    }

    /// Runs one statement that returns no rows and tells how many rows it changed.
    /// - Parameters:
    ///   - query: The statement; interpolated values are bound as parameters.
    ///   - parameters: Values for `$1`, `$2`, … when the query has no interpolated values.
    ///   - deadline: When to cancel the statement; default the current ``WorkContext``'s.
    /// - Returns: The number of rows inserted, updated or deleted.
    /// - Throws: ``PostgresError``.
    @discardableResult
    public func execute(
        _ query: PostgresQuery,
        _ parameters: [(any PostgresBindable)?] = [],
        deadline: ContinuousClock.Instant? = nil
    ) throws -> Int {
        try self.query(query, parameters, deadline: deadline).affectedRows
    }

    /// Runs trusted SQL that may hold several statements (a migration file, a fixture), with
    /// the simple query protocol: no parameters, no rows returned.
    ///
    /// Never build `script` from user input: it cannot take parameters.
    /// - Parameters:
    ///   - script: The SQL text; a query with interpolated values is refused.
    ///   - deadline: When to cancel it; default the current ``WorkContext``'s.
    /// - Throws: ``PostgresError``; `.misuse` when `script` has bound values.
    public func executeScript(_ script: PostgresQuery, deadline: ContinuousClock.Instant? = nil) throws {
        guard script.interpolatedParameterCount == 0 else {
            throw PostgresError.misuse("a script cannot take parameters; run parameterized statements with query(_:)")
        }
        let scope = try OperationScope.current(deadline: deadline ?? leaseDeadline)
        _ = try exchange(scope) { $0.sendSimple(script.sql) }
    }

    /// Checks the connection with an empty round trip.
    /// - Parameter timeout: How long to wait for the server.
    /// - Returns: Whether the server answered.
    public func validate(timeout: Duration = .seconds(5)) -> Bool {
        guard pq != nil else { return false }
        do {
            _ = try exchange(OperationScope(deadline: .now + timeout, cancellation: nil)) { $0.sendSimple("") }
            return isUsable
        } catch {
            return false
        }
    }

    // MARK: internals

    static func bindings(for query: PostgresQuery, _ parameters: [(any PostgresBindable)?]) throws -> PostgresBindings {
        if let failure = query.bindings.failure { throw PostgresError.encoding(failure) }
        if parameters.isEmpty { return query.bindings.value }
        guard query.bindings.value.isEmpty else {
            throw PostgresError.misuse("pass parameters either by interpolation or as an array, not both")
        }
        do {
            return try PostgresBindings(parameters)
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError.encoding("\(error)")
        }
    }

    /// Runs a parameterized statement through the prepared-statement cache.
    func run(sql: String, bindings: PostgresBindings, scope: OperationScope) throws -> PostgresRows {
        if statements.capacity == 0 {
            let results = try exchange(scope) { $0.sendQueryParams(sql: sql, bindings: bindings) }
            return singleResult(results)
        }
        let name = try preparedName(sql: sql, types: bindings.types, scope: scope)
        do {
            let results = try exchange(scope) { $0.sendQueryPrepared(name: name, bindings: bindings) }
            return singleResult(results)
        } catch let error as PostgresError where error.sqlState == "26000" || error.sqlState == "0A000" {
            statements.remove(.init(sql: sql, types: bindings.types))  // deallocated or stale plan
            throw error
        }
    }

    /// The name of the prepared statement for `sql`, preparing it on first use.
    func preparedName(sql: String, types: [UInt32], scope: OperationScope) throws -> String {
        let key = StatementCache.Key(sql: sql, types: types)
        if let name = statements.lookup(key) { return name }
        let name = statements.makeName()
        _ = try exchange(scope) { $0.sendPrepare(name: name, sql: sql, types: types) }
        if let evicted = statements.insert(key, name: name) {
            _ = try exchange(scope) { $0.sendSimple("DEALLOCATE \(PostgresQuery.quoteIdentifier(evicted))") }
        }
        return name
    }

    func singleResult(_ results: [LibPQResult]) -> PostgresRows {
        guard let last = results.last else { return PostgresRows() }
        return PostgresRows(result: last)
    }

    /// The live libpq connection, or `.connectionClosed`.
    func handle() throws(PostgresError) -> LibPQConnection {
        guard let pq else { throw PostgresError.closed() }
        return pq
    }
}
