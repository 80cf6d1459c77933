import BrigadeExecutors
import BrigadePostgres
import Foundation
import Logging
import Testing

@Suite("Deadlines and cancellation")
struct DeadlineTests {
    @Test("a statement still running at its deadline is cancelled on the server and throws timeout")
    func explicitDeadline() throws {
        let connection = try TestDatabase.connect()
        let start = ContinuousClock.now
        let error = try #require(throws: PostgresError.self) {
            try connection.query("SELECT pg_sleep(10)", deadline: .now + .milliseconds(200))
        }
        #expect(error.code == .timeout)
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(try connection.query("SELECT 1").count == 1)  // still usable
    }

    @Test("the work context's deadline applies when none is given")
    func contextDeadline() throws {
        let connection = try TestDatabase.connect()
        let context = WorkContext(requestID: "r1", logger: Logger(label: "test"), deadline: .now + .milliseconds(200))
        let error = try #require(throws: PostgresError.self) {
            try WorkContext.$current.withValue(context) { try connection.query("SELECT pg_sleep(10)") }
        }
        #expect(error.code == .timeout)
    }

    @Test("cancelling the work cancels the running statement; a cancelled context refuses new work")
    func cancellationSignal() throws {
        let url = try TestDatabase.freshURL()
        let connection = try PostgresConnection(url: url)
        let signal = CancellationSignal()
        let context = WorkContext(requestID: "r2", logger: Logger(label: "test"), cancellation: signal)
        let canceller = Thread {
            // Cancels once the statement is visibly running on the server.
            let watcher = try? PostgresConnection(url: url)
            while let watcher, (try? watcher.query("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'").first?.decode(Int.self, at: 0)) == 0 {}
            signal.cancel(reason: "client went away")
        }
        canceller.start()
        let error = try #require(throws: PostgresError.self) {
            try WorkContext.$current.withValue(context) { try connection.query("SELECT pg_sleep(30)") }
        }
        #expect(error.code == .cancelled)
        let refused = try #require(throws: PostgresError.self) {
            try WorkContext.$current.withValue(context) { try connection.query("SELECT 1") }
        }
        #expect(refused.code == .cancelled)
    }
}
