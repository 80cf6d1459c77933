import BrigadeMigrations
import BrigadePostgres
import Foundation
import Brigade

/// Fresh databases for tests, in the process's shared embedded PostgreSQL.
///
/// The migrations run once, into a template database; each test gets a copy
/// (`CREATE DATABASE … TEMPLATE`), which is much faster than migrating every time. The app
/// still runs the migrator at start (finding nothing pending), as in production.
enum TestDatabase {
    /// The repository's `Migrations/` folder, found from this file's path.
    static let migrationsPath: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Support, BookstoreTests, Tests
        return url.appendingPathComponent("Migrations").path
    }()

    /// The repository's root folder.
    static var packageRoot: String { URL(fileURLWithPath: migrationsPath).deletingLastPathComponent().path }

    private static let template: Result<EmbeddedPostgres, any Error> = Result {
        let server = try EmbeddedPostgres.shared()
        let name = "bookstore_template_\(getpid())"
        try server.createDatabase(name)
        let connection = try PostgresConnection(url: server.url(database: name))
        defer { connection.close() }
        var logger = Logger(label: "bookstore-tests.migrations")
        logger.logLevel = .warning
        _ = try Migrator(configuration: .init(directory: migrationsPath), logger: logger).migrate(on: connection)
        return server
    }

    /// Creates a migrated database of its own for one test.
    /// - Returns: Its libpq URL.
    static func make() throws -> String {
        let server = try template.get()
        let name = "bookstore_\(UInt64.random(in: 0...UInt64.max))"
        let connection = try PostgresConnection(url: server.url(database: "postgres"))
        defer { connection.close() }
        try connection.executeScript(
            PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE bookstore_template_\(getpid())"))
        return server.url(database: name)
    }
}
