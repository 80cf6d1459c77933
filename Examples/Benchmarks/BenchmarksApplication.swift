import Brigade
import BrigadeMigrations
import BrigadePostgres

/// The `benchmarks` application, used by `main` and by the tests.
/// - Parameters:
///   - configuration: The web tier's settings (see ``BenchmarksSettings/tuned(_:)``).
///   - pool: The connection pool the database tests use.
/// - Returns: The application, with the TechEmpower controller registered.
func buildApplication(configuration: Configuration, pool: PostgresPool) -> Application {
    var app = Application(configuration: configuration)
    app.register(TechEmpowerController(repository: WorldRepository(pool: pool)))
    return app
}

/// Defaults for one core (the TechEmpower method here pins the server, and PostgreSQL, to
/// one CPU); every key can still be set from the command line, the environment or a file.
/// Chosen by short A/B runs on the pinned core (see the README):
///
/// - `server.event-loops` 1: a second loop on the same core only adds wake-ups.
/// - `front.max-threads` 2 (`front.min-spare-threads` 2): handlers here are short and
///   CPU-bound, and a front thread that finds the queue non-empty takes the next request
///   without sleeping; every extra thread adds wake-ups and context switches. The front pool
///   grows to its maximum before it queues, so the framework's default (200) would start a
///   thread per connection. Two rather than one so a request waiting on the pool's lock or
///   being rendered does not stall the queue.
/// - `front.accept-queue` 4096 and `back.queue` 4096: 256 connections (plaintext c=256)
///   must queue, not be answered 503.
/// - `database.max-size` 4 and `back.core-threads` = `back.max-threads` = the pool size:
///   a back thread without a connection would only block in the pool. Four statements in
///   flight keep PostgreSQL (on the same core) busy; eight gave the same throughput with a
///   p99 of several hundred milliseconds in our runs, sixteen (the anchors' size) was slower.
enum BenchmarksSettings {
    static let eventLoops = 1
    static let frontThreads = 2
    static let queue = 4096
    static let databaseConnections = 4

    /// `configuration` with the one-core defaults for every key the user did not set.
    /// - Throws: ``ConfigurationError`` for an invalid value.
    static func tuned(_ configuration: Configuration) throws -> Configuration {
        let keys = ConfigKeys(reader: configuration.reader)
        var tuned = configuration
        let connections = try keys.int("database.max-size") ?? databaseConnections
        if try keys.int("server.event-loops") == nil { tuned.server.eventLoops = eventLoops }
        if try keys.int("front.max-threads") == nil { tuned.front.maxThreads = frontThreads }
        if try keys.int("front.min-spare-threads") == nil { tuned.front.minSpareThreads = min(frontThreads, tuned.front.maxThreads) }
        if try keys.int("front.accept-queue") == nil { tuned.front.acceptQueue = queue }
        if try keys.int("back.max-threads") == nil { tuned.back.maxThreads = connections }
        if try keys.int("back.core-threads") == nil { tuned.back.coreThreads = tuned.back.maxThreads }
        if try keys.int("back.queue") == nil { tuned.back.queueCapacity = queue }
        try tuned.validate()
        return tuned
    }

    /// The pool's settings: `database.max-size` (default ``databaseConnections``), a fixed-size
    /// pool (min idle = max), no leak detection.
    /// - Parameter url: The database.
    /// - Parameter keys: The configuration keys.
    /// - Throws: ``ConfigurationError`` for an invalid value.
    static func pool(url: String, keys: ConfigKeys) throws -> PostgresPool.Configuration {
        PostgresPool.Configuration(url: url, maxSize: try keys.int("database.max-size") ?? databaseConnections)
    }
}

/// Where the benchmarks' database is, and its schema.
enum BenchmarksDatabase {
    /// `database.url` (`DATABASE_URL`), or else the process's `EmbeddedPostgres`, started now.
    /// - Throws: ``EmbeddedPostgresError`` when the embedded server cannot start.
    static func url(keys: ConfigKeys) throws -> String {
        if let url = keys.string("database.url"), !url.isEmpty { return url }
        return try EmbeddedPostgres.shared().url
    }

    /// Applies `Migrations/` (`migrations.locations`): the World and Fortune tables come from
    /// `V10__…` and `V11__…`.
    /// - Throws: ``MigrationError`` (a missing folder before connecting), ``PostgresError``.
    static func migrate(url: String, configuration: Migrator.Configuration) throws {
        let migrator = Migrator(configuration: configuration)
        _ = try migrator.loadMigrations()
        let connection = try PostgresConnection(url: url)
        defer { connection.close() }
        try migrator.migrate(on: connection)
    }
}
