import Brigade
import BrigadeMigrations
import BrigadePostgres

/// The `benchmarks` application, used by `main` and by the tests.
/// - Parameters:
///   - configuration: The web tier's settings (the framework's defaults unless set).
///   - pool: The connection pool the database tests use.
/// - Returns: The application, with the TechEmpower controller registered.
func buildApplication(configuration: Configuration, pool: PostgresPool) -> Application {
    var app = Application(configuration: configuration)
    app.register(TechEmpowerController(repository: WorldRepository(pool: pool)))
    return app
}

/// The one setting the Benchmarks app chooses itself, as TechEmpower apps do: the size of its
/// database pool. Everything else — event loops, front and back pools, queues — is the
/// framework's default, so the benchmark measures what a user runs.
///
/// `database.max-size` 16: the size the anchors' peers (Hummingbird, Tomcat) use in the same
/// race, so that every framework gets as many PostgreSQL connections. The default back
/// executor follows it (the framework sizes it to the managed database pools when
/// `back.max-threads` is not set). Set `database.max-size` (`DATABASE_MAX_SIZE`) to change it.
enum BenchmarksSettings {
    static let databaseConnections = 16

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
