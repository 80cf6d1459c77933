import BrigadeExecutors
import BrigadePostgres
import Logging
import Testing

/// The database pool as the server manages it: snapshot, readiness, the connection budget.
@Suite struct ManagedPoolTests {
    @Test("the snapshot counts connections, waits and hold times")
    func snapshot() throws {
        let pool = try PostgresPool(configuration: .init(url: try TestDatabase.freshURL(), maxSize: 3, minIdle: 0, asyncTierAccess: .allow))
        defer { pool.shutdown() }
        for _ in 0..<5 { try pool.withConnection { _ = try $0.query("SELECT pg_sleep(0.01)") } }
        let snapshot = pool.snapshot()
        #expect(snapshot.name == "database")
        #expect(snapshot.kind == .database)
        #expect(snapshot.maxSize == 3)
        #expect(snapshot.completed == 5)
        #expect(snapshot.queueWait.count == 5)
        #expect(snapshot.service.count == 5)
        // Each lease held a 10 ms query.
        #expect(snapshot.service.mean >= .milliseconds(10))
        #expect(snapshot.active == 0)
    }

    @Test("readiness fails while the database is down and passes when it is back")
    func readinessFollowsTheDatabase() throws {
        let server = try EmbeddedPostgres.start()
        defer { server.stop() }
        let pool = try PostgresPool(configuration: .init(url: server.url, maxSize: 2, minIdle: 0, connectionTimeout: .seconds(1), asyncTierAccess: .allow))
        defer { pool.shutdown() }
        try pool.checkReadiness(timeout: .seconds(2))
        server.pause()
        #expect(throws: (any Error).self) { try pool.checkReadiness(timeout: .milliseconds(500)) }
        try server.resume()
        try pool.checkReadiness(timeout: .seconds(5))
    }

    @Test("start-up warns when max-size × instances exceeds max_connections, and when back threads far outnumber connections")
    func connectionBudget() throws {
        let logs = CapturedLogs()
        let pool = try PostgresPool(configuration: .init(url: try TestDatabase.freshURL(), maxSize: 50, minIdle: 0, asyncTierAccess: .allow))
        defer { pool.shutdown() }
        // The embedded server accepts 200 (less 3 reserved): 50 × 3 fits, 50 × 5 does not.
        pool.startupChecks(StartupFacts(instances: 3, backThreads: 64), logger: logs.logger())
        #expect(logs.all.filter { $0.level == .warning }.isEmpty)
        pool.startupChecks(StartupFacts(instances: 5, backThreads: 64), logger: logs.logger())
        let budget = try #require(logs.all.first { $0.metadata["needed"] != nil })
        #expect(budget.metadata["needed"] == "250")
        #expect(budget.metadata["max_connections"] == "200")
        pool.startupChecks(StartupFacts(instances: 1, backThreads: 400), logger: logs.logger())
        #expect(logs.all.contains { $0.metadata["back-threads"] == "400" })
    }
}
