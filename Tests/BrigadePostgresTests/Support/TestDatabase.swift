import BrigadePostgres
import Synchronization

/// The shared throwaway cluster, and a fresh database per test so tests stay independent
/// while swift-testing runs them in parallel.
enum TestDatabase {
    private static let counter = Atomic<Int>(0)

    static func server() throws -> EmbeddedPostgres { try EmbeddedPostgres.shared() }

    /// Creates a new, empty database and returns its URL.
    static func freshURL() throws -> String {
        let server = try server()
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        let name = "test_\(number)_\(UInt32.random(in: 0...UInt32.max))"
        try server.createDatabase(name)
        return server.url(database: name)
    }

    /// A connection to a new, empty database.
    static func connect() throws -> PostgresConnection {
        try PostgresConnection(url: try freshURL())
    }
}
