import Brigade
import BrigadeMigrations
import BrigadePostgres
import Synchronization

@testable import Benchmarks

/// A fresh database per test (on the shared embedded cluster), migrated with the repository's
/// `Migrations/`, and the benchmarks application on top of it.
struct BenchmarksFixture: Sendable {
    let url: String
    let pool: PostgresPool
    let app: Application

    private static let counter = Atomic<Int>(0)

    /// The repository's `Migrations/` folder, found from this file's path.
    static var migrationsDirectory: String {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/BenchmarksTests/BenchmarksFixture.swift
        return parts.joined(separator: "/") + "/Migrations"
    }

    init() throws {
        let server = try EmbeddedPostgres.shared()
        let number = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        let name = "techempower_\(number)_\(UInt32.random(in: 0...UInt32.max))"
        try server.createDatabase(name)
        url = server.url(database: name)
        try BenchmarksDatabase.migrate(url: url, configuration: .init(directory: Self.migrationsDirectory))
        pool = try PostgresPool(configuration: .init(url: url, maxSize: 2))
        var configuration = Configuration()
        configuration.back.maxThreads = 2
        configuration.back.coreThreads = 2
        app = buildApplication(configuration: configuration, pool: pool)
    }

    /// The stored random number of a world row, read directly.
    func storedRandomNumber(id: Int) throws -> Int {
        let connection = try PostgresConnection(url: url)
        defer { connection.close() }
        let rows = try connection.query("SELECT randomnumber FROM world WHERE id = \(id)")
        return try rows[0].decode(Int.self, at: 0)
    }
}
