import Brigade
import BrigadeMigrations
import BrigadePostgres
import BrigadeTesting
import Testing

@testable import Benchmarks

/// TechEmpower's verifier counts the rows `/updates` reads with pg_stat_statements: the rows
/// of every statement whose text names `world` and contains `select`. Its `update` test type
/// expects one row read per query; it warned "20253 rows read in the database instead of
/// 10240 expected" while the bulk UPDATE took its values from a `(SELECT unnest(…))`.
@Suite struct UpdatesRowCountTests {
    /// The verifier's own queries (toolset/databases/postgres/postgres.py).
    static let rowsRead = "SELECT SUM(rows) FROM pg_stat_statements WHERE query ~* '[[:<:]]world[[:>:]]' AND query ~* 'select'"
    static let rowsUpdated = "SELECT SUM(rows) FROM pg_stat_statements WHERE query ~* '[[:<:]]world[[:>:]]' AND query ~* 'update'"

    @Test func updatesReadOneRowPerQueryAsTheVerifierCountsThem() async throws {
        // A cluster of its own: pg_stat_statements must be preloaded, and its counts are
        // cluster-wide.
        var cluster = EmbeddedPostgres.Configuration()
        cluster.serverSettings["shared_preload_libraries"] = "pg_stat_statements"
        let settings = cluster
        let server = try await blocking { try EmbeddedPostgres.start(settings) }
        defer { server.stop() }
        let url = server.url
        let pool = try await blocking {
            try BenchmarksDatabase.migrate(url: url, configuration: .init(directory: BenchmarksFixture.migrationsDirectory))
            return try PostgresPool(configuration: .init(url: url, maxSize: 2))
        }
        defer { pool.shutdown() }
        var configuration = Configuration()
        configuration.back.maxThreads = 2
        configuration.back.coreThreads = 2
        let app = buildApplication(configuration: configuration, pool: pool)

        try await blocking {
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            try connection.executeScript("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            _ = try connection.query("SELECT pg_stat_statements_reset()")
        }
        let requests = 5
        try await app.test(.live) { client in
            for _ in 0..<requests {
                let response = try await client.get("/updates?queries=20")
                #expect(response.status == .ok)
            }
        }
        let (read, updated) = try await blocking { () throws -> (Int?, Int?) in
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            func count(_ verifierQuery: String) throws -> Int? {
                try connection.query(PostgresQuery(unsafeSQL: "SELECT (\(verifierQuery))::bigint")).first?.decode(Int?.self, at: 0)
            }
            return (try count(Self.rowsRead), try count(Self.rowsUpdated))
        }
        #expect(read == requests * 20, "rows read as the verifier counts them")
        // An id drawn twice in one request is updated once: at most 20 rows per request.
        #expect((1...requests * 20).contains(updated ?? 0), "rows updated: \(String(describing: updated))")
    }
}
