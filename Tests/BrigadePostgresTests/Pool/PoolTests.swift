import BrigadeExecutors
import BrigadePostgres
import Foundation
import Logging
import Testing

@Suite("PostgresPool")
struct PoolTests {
    func pool(
        url: String? = nil, maxSize: Int = 2, connectionTimeout: Duration = .seconds(5),
        configure: (inout PostgresPool.Configuration) -> Void = { _ in }, logger: Logger? = nil
    ) throws -> PostgresPool {
        var configuration = PostgresPool.Configuration(
            url: try url ?? TestDatabase.freshURL(), maxSize: maxSize, minIdle: 0, connectionTimeout: connectionTimeout)
        // Swift Testing runs even synchronous tests as tasks: these call the pool there on
        // purpose (AsyncTierTests covers the guard).
        configuration.asyncTierAccess = .allow
        configure(&configuration)
        return try PostgresPool(configuration: configuration, logger: logger ?? Logger(label: "test.pool"))
    }

    @Test("connections are lent, returned and reused")
    func reuse() throws {
        let pool = try pool()
        defer { pool.shutdown() }
        let first = try pool.withConnection { $0.backendPID }
        let second = try pool.withConnection { $0.backendPID }
        #expect(first == second)
        let stats = pool.statistics
        #expect(stats.total == 1 && stats.idle == 1 && stats.active == 0 && stats.acquired == 2 && stats.created == 1)
        #expect(try pool.query("SELECT \(5) + 1").first?.decode(Int.self, at: 0) == 6)
    }

    @Test("an exhausted pool times out with PoolTimeout after the connection timeout")
    func exhaustion() throws {
        let pool = try pool(maxSize: 1, connectionTimeout: .milliseconds(300))
        defer { pool.shutdown() }
        try pool.withConnection { _ in
            let start = ContinuousClock.now
            let timeout = try #require(throws: PoolTimeout.self) { try pool.withConnection { _ in } }
            let waited = ContinuousClock.now - start
            #expect(timeout.reason == .connectionTimeout)
            #expect(waited >= .milliseconds(290) && waited < .seconds(3))
            #expect(timeout.statistics.active == 1)
        }
        #expect(pool.statistics.timeouts == 1)
        #expect(try pool.withConnection { _ in 1 } == 1)  // usable again once returned
    }

    @Test("a connection timeout too long to count in nanoseconds waits (and connects) without trapping")
    func connectionTimeoutTooLongForNanoseconds() throws {
        // Int64.max / 4 seconds: 2.3e27 ns; the connect's poll and the waiter's semaphore saturate.
        let pool = try pool(maxSize: 1, connectionTimeout: .seconds(Int64.max / 4))
        defer { pool.shutdown() }
        let done = DispatchSemaphore(value: 0)
        let waited = Failures()
        try pool.withConnection { _ in
            Thread {
                do { try pool.withConnection { _ in } } catch { waited.add("\(error)") }
                done.signal()
            }.start()
            // Hand the connection back only once the other thread waits for it.
            let deadline = ContinuousClock.now + .seconds(10)
            while pool.statistics.waiting == 0, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.005) }
            #expect(pool.statistics.waiting == 1)
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(waited.all.isEmpty)
        #expect(pool.statistics.acquired == 2)
    }

    @Test("a request deadline shorter than the connection timeout ends the wait first")
    func requestDeadline() throws {
        let pool = try pool(maxSize: 1, connectionTimeout: .seconds(30))
        defer { pool.shutdown() }
        try pool.withConnection { _ in
            let timeout = try #require(throws: PoolTimeout.self) {
                try pool.withConnection(deadline: .now + .milliseconds(100)) { _ in }
            }
            #expect(timeout.reason == .deadline)
        }
    }

    @Test("many back threads share a small pool; waiters get connections as they come back")
    func concurrentUse() throws {
        let pool = try pool(maxSize: 3)
        defer { pool.shutdown() }
        try pool.withConnection { try $0.executeScript("CREATE TABLE hits (n int)") }
        let threads = try ThreadPool(configuration: .init(name: "back", tier: .back("test"), maxThreads: 8))
        let done = DispatchGroup()
        let failures = Failures()
        for i in 0..<8 {
            done.enter()
            try threads.execute {
                defer { done.leave() }
                do {
                    for j in 0..<25 { try pool.execute("INSERT INTO hits VALUES (\(i * 100 + j))") }
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        threads.shutdown()
        #expect(failures.all.isEmpty)
        #expect(try pool.query("SELECT count(*) FROM hits").first?.decode(Int.self, at: 0) == 200)
        #expect(pool.statistics.total <= 3)
    }

    @Test("withTransaction commits on return and rolls back on throw")
    func transactions() throws {
        let pool = try pool()
        defer { pool.shutdown() }
        try pool.withConnection { try $0.executeScript("CREATE TABLE t (n int)") }
        try pool.withTransaction { try $0.execute("INSERT INTO t VALUES (\(1))") }
        _ = try? pool.withTransaction { connection in
            try connection.execute("INSERT INTO t VALUES (\(2))")
            throw CancellationError()
        }
        #expect(try pool.query("SELECT count(*) FROM t").first?.decode(Int.self, at: 0) == 1)
    }

    @Test("a connection held past the leak threshold is logged with the thread, file, line and function that took it")
    func leakDetection() throws {
        let logs = CapturedLogs()
        let pool = try pool(configure: { $0.leakDetectionThreshold = .milliseconds(100) }, logger: logs.logger())
        defer { pool.shutdown() }
        let line: UInt = #line + 1
        let entry = try pool.withConnection { _ in
            logs.waitFor(timeout: .seconds(5)) { $0.level == .warning && $0.metadata["held-ms"] != nil }
        }
        let leak = try #require(entry)
        #expect(leak.metadata["file"] == .string(#fileID))
        #expect(leak.metadata["line"]?.description == "\(line)")
        #expect(leak.metadata["function"]?.description == "leakDetection()")
        #expect(leak.metadata["thread"] != nil)
        #expect(pool.statistics.leaksDetected == 1)
    }

    @Test("connections older than max lifetime are retired and replaced")
    func maxLifetimeRotation() throws {
        let pool = try pool(configure: { $0.maxLifetime = .milliseconds(300) })
        defer { pool.shutdown() }
        let first = try pool.withConnection { $0.backendPID }
        Thread.sleep(forTimeInterval: 0.4)  // the lifetime itself: time has to pass
        let second = try pool.withConnection { $0.backendPID }
        #expect(first != second)
        #expect(pool.statistics.closed >= 1)
        #expect(pool.statistics.total == 1)
    }

    @Test("the tier guard fails on event loops, and on front threads when configured to")
    func tierGuard() throws {
        let logs = CapturedLogs()
        let warnPool = try pool(logger: logs.logger())
        let failPool = try pool(configure: { $0.frontTierAccess = .fail })
        defer {
            warnPool.shutdown()
            failPool.shutdown()
        }
        let results = Failures()
        let thread = Thread {
            ThreadTier.markCurrentThread(.front, name: "front-1")
            do { _ = try warnPool.withConnection { _ in 1 } } catch { results.add("warn threw \(error)") }
            do { _ = try failPool.withConnection { _ in 1 } } catch let error as PostgresError where error.code == .tierViolation {
                results.add("fail:tier")
            } catch { results.add("fail:other \(error)") }
            ThreadTier.markCurrentThread(.eventLoop, name: "loop-1")
            do { _ = try warnPool.withConnection { _ in 1 } } catch let error as PostgresError where error.code == .tierViolation {
                results.add("loop:tier")
            } catch { results.add("loop:other \(error)") }
            results.finish()
        }
        thread.start()
        results.waitFinished()
        #expect(results.all == ["fail:tier", "loop:tier"])
        #expect(logs.all.contains { $0.level == .warning && $0.metadata["thread"] == .string("front-1") })
    }

    @Test("after a server restart the pool replaces its broken connections without user action")
    func serverRestart() throws {
        let server = try EmbeddedPostgres.start()
        defer { server.stop() }
        let pool = try pool(url: server.url, maxSize: 2, configure: { $0.validationThreshold = .zero })
        defer { pool.shutdown() }
        // Two connections in the pool, one of them held across the restart.
        let before = try pool.withConnection { outer in
            let inner = try pool.withConnection { $0.backendPID }
            return [outer.backendPID, inner]
        }
        #expect(pool.statistics.total == 2)
        try pool.withConnection { held in
            try server.restart()
            // The held connection sees the restart; the error tells the connection is gone.
            let error = try #require(throws: PostgresError.self) { try held.query("SELECT 1") }
            #expect(error.isConnectionFailure)
        }
        // Idle connections are dead too; validation replaces them transparently.
        let after = try pool.withConnection { outer in
            let inner = try pool.withConnection { try $0.query("SELECT pg_backend_pid()").first?.decode(Int32.self, at: 0) }
            return [try outer.query("SELECT pg_backend_pid()").first?.decode(Int32.self, at: 0), inner]
        }
        #expect(after.allSatisfy { $0 != nil })
        #expect(Set(after.compactMap { $0 }).isDisjoint(with: before))
        #expect(pool.statistics.closed >= 2)
    }
}

/// Collects strings from several threads; can be waited on.
final class Failures: Sendable {
    private let items = Mutex<[String]>([])
    private let finished = DispatchSemaphore(value: 0)
    var all: [String] { items.withLock { $0 } }
    func add(_ item: String) { items.withLock { $0.append(item) } }
    func finish() { finished.signal() }
    func waitFinished() { finished.wait() }
}

import Synchronization
