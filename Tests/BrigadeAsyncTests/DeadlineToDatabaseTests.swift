import Brigade
import BrigadePostgres
import BrigadeTesting
import Foundation
import Testing

/// The two halves meet: a request's timeout reaches the query it started.
@Suite struct DeadlineToDatabaseTests {
    @Test func aTimedOutRequestCancelsItsRunningQuery() async throws {
        // Blocking set-up on a thread of its own: the cooperative pool stays free.
        let pool = try await blocking {
            let server = try EmbeddedPostgres.shared()
            let database = "deadline_\(UInt32.random(in: 0...UInt32.max))"
            try server.createDatabase(database)
            return try PostgresPool(configuration: .init(url: server.url(database: database), maxSize: 2, minIdle: 0))
        }
        defer { pool.shutdown() }
        let failure = Recorder<PostgresError.Code>()
        let finished = Latch()
        let queryTime = Recorder<Duration>()
        var app = Application(configuration: testConfiguration(asyncTimeout: .milliseconds(300)))
        app.register(TestController { routes in
            routes.get("/sleep") { _ in
                Callable { () -> String in
                    let started = ContinuousClock.now
                    defer {
                        queryTime.record(ContinuousClock.now - started)
                        finished.open()
                    }
                    do {
                        _ = try pool.withConnection { try $0.query("SELECT pg_sleep(10)") }
                        return "slept"
                    } catch let error as PostgresError {
                        failure.record(error.code)
                        throw error
                    }
                }
            }
        })
        try await app.test(.inProcess) { client throws in
            let response = try await client.get("/sleep")
            #expect(response.status == .serviceUnavailable)
            #expect(await finished.waitAsync(seconds: 15))
        }
        // The query gave up with the request (measured on the back thread), not after its 10 s.
        #expect(queryTime.all.count == 1)
        #expect(queryTime.all.allSatisfy { $0 < .seconds(5) })
        #expect(failure.all.count == 1)
        #expect(failure.all.allSatisfy { $0 == .cancelled || $0 == .timeout })
        // The connection is usable again: the server really stopped the statement.
        let value = try await blocking { try pool.withConnection { try $0.query("SELECT 1").first?.decode(Int.self, at: 0) } }
        #expect(value == 1)
    }
}
