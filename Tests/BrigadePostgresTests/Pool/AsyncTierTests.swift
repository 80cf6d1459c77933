import BrigadeExecutors
import BrigadePostgres
import Foundation
import Logging
import Testing

/// The tier guard on Swift's cooperative pool: blocking pool calls from `async` code are
/// reported (or refused), and `ThreadPool.run` is the way to make them — cancellable.
@Suite("PostgresPool from async code")
struct AsyncTierTests {
    func pool(_ access: TierAccess, logger: Logger? = nil) throws -> PostgresPool {
        var configuration = PostgresPool.Configuration(url: try TestDatabase.freshURL(), maxSize: 2, minIdle: 0)
        configuration.asyncTierAccess = access
        return try PostgresPool(configuration: configuration, logger: logger ?? Logger(label: "test.pool"))
    }

    func backPool() throws -> ThreadPool {
        try ThreadPool(configuration: .init(name: "db-work", tier: .back("db-work"), coreThreads: 0, maxThreads: 2, queueCapacity: 10))
    }

    @Test("a blocking call from a plain Task is reported once per call site, naming the fix")
    func reported() async throws {
        let logs = CapturedLogs()
        let pool = try pool(.warn, logger: logs.logger())
        defer { pool.shutdown() }
        let values = try await Task {
            var values: [Int] = []
            for _ in 0..<3 { values.append(try pool.withConnection { _ in 1 }) }
            return values
        }.value
        #expect(values == [1, 1, 1])
        let warnings = logs.all.filter { $0.level == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.message.contains("app.executors.run") == true)
        #expect(warnings.first?.metadata["file"] == .string("BrigadePostgresTests/AsyncTierTests.swift"))
    }

    @Test("refused when database.async-tier-access is fail; through run it is allowed")
    func refused() async throws {
        let pool = try pool(.fail)
        let back = try backPool()
        defer {
            pool.shutdown()
            back.shutdown()
        }
        do {
            _ = try await Task { try pool.withConnection { _ in 1 } }.value
            Issue.record("a blocking call from async code went through")
        } catch let error as PostgresError {
            #expect(error.code == .tierViolation)
            #expect(error.message.contains("app.executors.run"))
            #expect(error.message.contains("database.async-tier-access is fail"))
        }
        let viaRun = try await back.run { try pool.withConnection { _ in 2 } }
        #expect(viaRun == 2)
    }

    @Test("cancelling the task that awaits a query through run cancels it in PostgreSQL")
    func cancelled() async throws {
        let pool = try pool(.fail)
        let back = try backPool()
        defer {
            pool.shutdown()
            back.shutdown()
        }
        let started = ContinuousClock.now
        let sleeping = Task {
            try await back.run { try pool.withConnection { try $0.query("SELECT pg_sleep(60)") } }
        }
        // Until PostgreSQL runs it: a cancellation before would never reach the server. Up to
        // 30 s: the task that submits it needs a thread of Swift's cooperative pool, which the
        // other database suites' synchronous tests may hold for seconds.
        let running = try await back.run {
            try pool.withConnection { connection in
                for _ in 0..<3000 {
                    let active = try connection.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'"
                    ).first?.decode(Int.self, at: 0)
                    if active == 1 { return true }
                    Thread.sleep(forTimeInterval: 0.01)
                }
                return false
            }
        }
        #expect(running)
        sleeping.cancel()
        do {
            _ = try await sleeping.value
            Issue.record("the query finished despite the cancellation")
        } catch let error as PostgresError {
            #expect(error.code == .cancelled)
        }
        // Well before the 60 s sleep could have ended by itself.
        #expect(ContinuousClock.now - started < .seconds(50))
        // The connection came back usable.
        #expect(try await back.run { try pool.withConnection { _ in 3 } } == 3)
    }
}
