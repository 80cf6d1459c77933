import BrigadeExecutors
import BrigadePostgres
import CoreMetrics
import Dispatch
import Foundation
import Synchronization
import Testing

/// The pool's swift-metrics timers are user code (the server's metrics backend): the pool must
/// call them after releasing its lock (`PoolLock`'s rule), so a backend that reads the pool —
/// as a Prometheus collector or a health check may — neither deadlocks nor stalls it.
@Suite("PostgresPool metrics")
struct PoolMetricsTests {
    @Test("timers are recorded outside the pool lock: a timer that reads the pool's statistics does not wait")
    func timersAreRecordedOutsideTheLock() throws {
        let probe = LockProbe()
        let pool = try PostgresPool(configuration: .init(url: try TestDatabase.freshURL(), maxSize: 1, minIdle: 0, asyncTierAccess: .allow))
        defer { pool.shutdown() }
        probe.pool.withLock { $0 = pool }
        pool.instrument(PoolTimers(pool: "database", factory: ProbingMetrics(probe: probe)))

        // The first lease opens a connection (the slow path), the second reuses it (the fast
        // path); each records one queue wait and, when returned, one hold time.
        try pool.withConnection { _ = try $0.query("SELECT 1") }
        try pool.withConnection { _ = try $0.query("SELECT 1") }

        let outcome = probe.outcome.withLock { $0 }
        #expect(outcome.recorded == ["brigade_pool_queue_wait_seconds": 2, "brigade_pool_service_seconds": 2])
        #expect(outcome.blocked.isEmpty, "recorded with the pool lock held: \(outcome.blocked)")
    }
}

/// What the probing timers saw.
final class LockProbe: Sendable {
    struct Outcome {
        var recorded: [String: Int] = [:]
        /// Timers whose probe could not read the pool's statistics while they recorded.
        var blocked: [String] = []
    }

    let pool = Mutex<PostgresPool?>(nil)
    let outcome = Mutex(Outcome())

    /// Reads the pool's statistics (which takes the pool lock) on another thread and waits up
    /// to 2 s for it: were the lock held by the recording thread, the read could not finish
    /// before the record returns. On another thread, so a regression fails instead of deadlocking;
    /// the reader finishes once the lock is released.
    func recording(_ label: String) {
        let done = DispatchSemaphore(value: 0)
        let pool = pool.withLock { $0 }
        let reader = Thread {
            _ = pool?.statistics
            done.signal()
        }
        reader.start()
        let finished = done.wait(timeout: .now() + .seconds(2)) == .success
        outcome.withLock { outcome in
            outcome.recorded[label, default: 0] += 1
            if !finished { outcome.blocked.append(label) }
        }
    }
}

/// A metrics backend whose timers call ``LockProbe/recording(_:)``; everything else is a no-op.
struct ProbingMetrics: MetricsFactory {
    let probe: LockProbe

    final class ProbingTimer: TimerHandler, Sendable {
        let label: String
        let probe: LockProbe
        init(label: String, probe: LockProbe) {
            self.label = label
            self.probe = probe
        }
        func recordNanoseconds(_ duration: Int64) { probe.recording(label) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { NOOPMetricsHandler.instance }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { ProbingTimer(label: label, probe: probe) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
