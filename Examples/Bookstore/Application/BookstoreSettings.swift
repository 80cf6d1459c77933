import Brigade
import Foundation
import BrigadeMigrations
import BrigadePostgres

/// The Bookstore's own configuration keys, read from the same sources as Brigade's
/// (`--arguments`, environment variables, the JSON file named by `config.file`).
///
/// | key | default | meaning |
/// |---|---|---|
/// | `database.url` (`DATABASE_URL`) | unset | PostgreSQL to use; unset starts an embedded server |
/// | `database.*` | see ``PostgresPool/Configuration`` | the connection pool |
/// | `migrations.locations` | `Migrations` | the folders of `V<n>__<name>.sql` files applied at start |
/// | `bookstore.long-poll-timeout` | `30s` | how long `GET /books/changes` waits before answering `[]` |
/// | `bookstore.import-timeout` | `30m` | how long `POST /books/import` may take (upload and COPY) before `503` |
/// | `bookstore.reports-timeout` | `10s` | how long `GET /reports/authors` may take before `503` |
/// | `bookstore.reports-delay` | `0ms` | extra time the report spends in PostgreSQL (`pg_sleep`), to show the timeout |
/// | `executors.reports.*` | 0 core / 4 max / 50 queue | the `reports` back executor |
struct BookstoreSettings: Sendable {
    /// `database.url`; `nil` means "start an embedded PostgreSQL".
    var databaseURL: String?
    /// `migrations.*`: where the schema's migrations are (see `Migrator.Configuration`).
    var migrations: Migrator.Configuration
    /// `bookstore.long-poll-timeout`. Default 30 s.
    var longPollTimeout: Duration
    /// `bookstore.import-timeout`. Default 30 minutes.
    var importTimeout: Duration
    /// `bookstore.reports-timeout`. Default 10 s.
    var reportsTimeout: Duration
    /// `bookstore.reports-delay`. Default zero.
    var reportsDelay: Duration

    /// The name of the back executor reports run on.
    static let reportsExecutor = "reports"

    /// Reads the keys.
    /// - Throws: ``ConfigurationError`` naming an invalid key.
    init(keys: ConfigKeys) throws(ConfigurationError) {
        let url = keys.string("database.url")?.trimmingCharacters(in: .whitespaces)
        databaseURL = (url?.isEmpty ?? true) ? nil : url
        migrations = try Migrator.Configuration(keys: keys)
        longPollTimeout = try keys.duration("bookstore.long-poll-timeout") ?? .seconds(30)
        reportsTimeout = try keys.duration("bookstore.reports-timeout") ?? .seconds(10)
        importTimeout = try keys.duration("bookstore.import-timeout") ?? .seconds(30 * 60)
        if importTimeout <= .zero { throw ConfigurationError("bookstore.import-timeout must be positive") }
        reportsDelay = try keys.duration("bookstore.reports-delay") ?? .zero
        if longPollTimeout <= .zero { throw ConfigurationError("bookstore.long-poll-timeout must be positive") }
        if reportsTimeout <= .zero { throw ConfigurationError("bookstore.reports-timeout must be positive") }
    }

    /// The `reports` executor's settings from `executors.reports.*`, with the Bookstore's
    /// defaults (a small bulkhead: a slow report never takes threads from the CRUD endpoints).
    static func reportsPool(keys: ConfigKeys) throws(ConfigurationError) -> Configuration.BackPool {
        let prefix = "executors.\(reportsExecutor)"
        return Configuration.BackPool(
            coreThreads: try keys.int("\(prefix).core-threads") ?? 0,
            maxThreads: try keys.int("\(prefix).max-threads") ?? 4,
            queueCapacity: try keys.int("\(prefix).queue") ?? 50,
            keepAlive: try keys.duration("\(prefix).keep-alive") ?? .seconds(60),
            rejectionPolicy: try keys.rejectionPolicy("\(prefix).rejection-policy") ?? .abort)
    }
}
