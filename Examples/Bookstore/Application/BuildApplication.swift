import Brigade
import BrigadeMigrations
import BrigadePostgres
import Foundation

/// A configured Bookstore: the `Application` to serve, and what it holds besides (the pool,
/// the notification listener and the long polls, the embedded PostgreSQL if it started one).
struct BookstoreApp: Sendable {
    /// The application, with every controller registered.
    var application: Application
    /// The pool every repository uses.
    let pool: PostgresPool
    /// The long polls of `GET /books/changes`.
    let changes: BookChanges
    /// The connection that listens for `book_changes` (managed: started with the server,
    /// closed after it drained).
    let listener: PostgresListener
    /// The PostgreSQL this process started because `database.url` was unset, if any.
    let embedded: EmbeddedPostgres?
    /// The database the app uses.
    let databaseURL: String
    /// The Bookstore's own settings.
    let settings: BookstoreSettings

    /// Stops listening and answers the waiting long polls with `[]`.
    func stopAcceptingChanges() {
        listener.closeAndWait()
        changes.waiters.completeAll(with: [])
    }

    /// Stops the listener, closes the pool and stops the embedded PostgreSQL. Call after the
    /// server has shut down. Safe to call more than once.
    func shutdown() {
        listener.closeAndWait()
        pool.shutdown()
        embedded?.stop()
    }
}

/// Builds the Bookstore from a configuration; `main` and the tests share it.
///
/// Reads the Bookstore's keys (``BookstoreSettings``) and the pool's `database.*` keys from
/// `configuration.reader`; declares the `reports` executor (`executors.reports.*`) and sizes
/// the default back executor to the database pool; starts an embedded PostgreSQL when
/// `database.url` is unset; applies the migrations of `migrations.locations`; makes the
/// notification listener (`listener.*` keys; the server starts it, and fails to start when it
/// cannot listen); registers the controllers, the database error handlers and what to stop at
/// shutdown.
///
/// Blocks while it connects and migrates: call it at start-up.
/// - Parameters:
///   - configuration: Brigade's configuration; its reader also supplies the Bookstore's keys.
///   - logger: The application's logger; default `bookstore` at `log.level`.
/// - Returns: The app, not yet serving.
/// - Throws: ``ConfigurationError``, `EmbeddedPostgresError`, `MigrationError`,
///   `PostgresError`, `ListenerError`.
func buildApplication(configuration: Configuration, logger: Logger? = nil) throws -> BookstoreApp {
    var configuration = configuration
    let logger = logger ?? Logger(label: "bookstore", level: configuration.logLevel)
    let keys = ConfigKeys(reader: configuration.reader)
    let settings = try BookstoreSettings(keys: keys)
    configuration.executors[BookstoreSettings.reportsExecutor] = try BookstoreSettings.reportsPool(keys: keys)
    try configuration.validate()
    let migrator = Migrator(configuration: settings.migrations, logger: Logger(label: "bookstore.migrations", level: logger.logLevel))
    _ = try migrator.loadMigrations()  // a missing or broken migrations folder fails before anything starts

    var embedded: EmbeddedPostgres?
    let url: String
    if let configured = settings.databaseURL {
        url = configured
    } else {
        logger.info("database.url is not set; starting an embedded PostgreSQL")
        let server = try EmbeddedPostgres.start()
        embedded = server
        url = server.url
        logger.info("embedded PostgreSQL is running", metadata: ["url": "\(url)"])
    }
    do {
        try migrate(url: url, migrator: migrator, logger: logger)
        let pool = try PostgresPool(
            configuration: PostgresPool.Configuration(keys: keys, defaultURL: url),
            logger: Logger(label: "bookstore.postgres", level: logger.logLevel))
        let books = BookRepository(pool: pool)
        var application = Application(configuration: configuration, logger: logger)
        let changes = BookChanges(books: books, readers: application.executors.defaultExecutor, logger: logger)
        let listener: PostgresListener
        do {
            listener = try PostgresListener(
                configuration: .init(keys: keys, defaultURL: url),
                logger: Logger(label: "bookstore.listener", level: logger.logLevel))
            try changes.follow(listener)
        } catch {
            pool.shutdown()
            throw error
        }
        // Started before the server accepts requests, on /ready, /pools and /metrics, closed
        // once every request was answered.
        application.manage(listener)
        // Sampled for /metrics and /pools, asked by /ready, checked against max_connections
        // at start, closed at shutdown after the executors drained.
        application.manage(pool)
        application.register(AuthorController(authors: AuthorRepository(pool: pool)))
        application.register(BookController(
            books: books, changes: changes, longPollTimeout: settings.longPollTimeout, importTimeout: settings.importTimeout))
        let reports = ReportService(
            executor: application.executors[BookstoreSettings.reportsExecutor],
            repository: ReportRepository(pool: pool, delay: settings.reportsDelay))
        application.register(ReportController(reports: reports, timeout: settings.reportsTimeout))
        application.register(CoverController(covers: CoverRepository(pool: pool)))
        application.register(HealthController(changes: changes, listener: listener))
        DatabaseErrors.register(on: &application)
        // Long polls answer `[]` as soon as shutdown begins (the waiter registry's results end
        // then); once the server stopped — listener and pool closed — the embedded server goes.
        application.afterShutdown { [embedded] in
            pool.shutdown()
            embedded?.stop()
        }
        return BookstoreApp(
            application: application, pool: pool, changes: changes, listener: listener, embedded: embedded,
            databaseURL: url, settings: settings)
    } catch {
        embedded?.stop()
        throw error
    }
}

/// Applies the migrations on a connection of its own; instances starting together migrate
/// once (the migrator's advisory lock).
private func migrate(url: String, migrator: Migrator, logger: Logger) throws {
    let connection = try PostgresConnection(url: url)
    defer { connection.close() }
    let report = try migrator.migrate(on: connection)
    logger.info("schema is up to date", metadata: [
        "version": "\(report.currentVersion.map { "\($0)" } ?? "none")", "applied": "\(report.applied.count)",
    ])
}

extension Logger {
    init(label: String, level: Logger.Level) {
        self.init(label: label)
        self.logLevel = level
    }
}
