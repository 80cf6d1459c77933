@testable import Brigade
import BrigadeExecutors
import Testing

/// The advisor on made-up windows: no server, no clock, no threads. Advice to shrink a pool
/// needs enough work in the window to mean something; advice to grow it does not.
@Suite struct PoolAdvisorTests {
    /// A pool that only reports its last snapshot.
    final class FixedPool: ManagedPool {
        let name: String
        let kind: PoolKind
        let last: PoolSnapshot
        init(_ last: PoolSnapshot) {
            name = last.name
            kind = last.kind
            self.last = last
        }
        func snapshot() -> PoolSnapshot { last }
    }

    static let second: UInt64 = 1_000_000_000
    static let start: UInt64 = 1_000 * second

    /// Two snapshots `seconds` apart: `completed` tasks of `service` each (and `rejected`
    /// refusals) between them, none of them waiting.
    /// An adaptive pool's part of a window: its sizing, the threads blocked at each end, and
    /// those added for blocked ones by each end.
    struct Adaptive {
        var sizing: PoolSizing
        var blocked: (Int, Int) = (0, 0)
        var added: (UInt64, UInt64) = (0, 0)
    }

    static func window(
        _ name: String, kind: PoolKind, maxSize: Int, completed: UInt64, service: Duration, rejected: UInt64 = 0,
        seconds: UInt64 = 60, wait: Duration = .zero, adaptive: Adaptive? = nil
    ) -> [PoolSnapshot] {
        func snapshot(
            at time: UInt64, completed: UInt64, rejected: UInt64, service: LatencyHistogram, waits: LatencyHistogram,
            blocked: Int, added: UInt64
        ) -> PoolSnapshot {
            PoolSnapshot(
                name: name, kind: kind, takenAtNanoseconds: time, size: 1, active: 0, queued: 0, coreSize: 0,
                maxSize: maxSize, queueCapacity: kind == .database ? nil : 100, completed: completed, rejected: rejected,
                queueWait: waits, service: service, sizing: adaptive?.sizing ?? (kind == .database ? nil : .eager),
                blocked: blocked, addedForBlocked: added)
        }
        var services = LatencyHistogram()
        var waits = LatencyHistogram()
        for _ in 0..<completed {
            services.record(nanoseconds: service.clampedNanoseconds)
            waits.record(nanoseconds: wait.clampedNanoseconds)
        }
        return [
            snapshot(
                at: start, completed: 0, rejected: 0, service: LatencyHistogram(), waits: LatencyHistogram(),
                blocked: adaptive?.blocked.0 ?? 0, added: adaptive?.added.0 ?? 0),
            snapshot(
                at: start + seconds * second, completed: completed, rejected: rejected, service: services, waits: waits,
                blocked: adaptive?.blocked.1 ?? 0, added: adaptive?.added.1 ?? 0),
        ]
    }

    static func report(_ windows: [[PoolSnapshot]]) -> PoolsReport {
        let view = PoolMonitor.View(
            windows: Dictionary(uniqueKeysWithValues: windows.map { ($0[0].name, $0) }),
            histories: [:], saturatedSince: [:], routes: [], events: [])
        let pools = windows.compactMap { $0.last.map(FixedPool.init) }
        return PoolAdvisor(settings: Configuration.Management(), now: start + 60 * second)
            .report(view, pools: pools, blocking: [], includeHistory: false)
    }

    @Test func atATrivialLoadTheFrontPoolIsNotAdvisedToShrink() throws {
        // 0.2 requests/s for a minute: 12 requests.
        let report = Self.report([Self.window("front", kind: .front, maxSize: 200, completed: 12, service: .milliseconds(3))])
        let front = try #require(report.pools.first)
        #expect(front.recommendedSize == nil)
        #expect(!front.advice.contains("would do"), "\(front.advice)")
        #expect(front.advice.contains("not enough load to size it"), "\(front.advice)")
        #expect(front.advice.contains("12 tasks in 60.0 s (0.2/s)"), "\(front.advice)")
    }

    @Test func atATrivialLoadTheDatabasePoolIsNotAdvisedToShrink() throws {
        let report = Self.report([Self.window("database", kind: .database, maxSize: 10, completed: 12, service: .milliseconds(2))])
        let database = try #require(report.pools.first)
        #expect(database.recommendedSize == nil)
        #expect(!database.advice.contains("database.max-size 1"), "\(database.advice)")
        #expect(database.advice.contains("not enough load to size it"), "\(database.advice)")
    }

    @Test func withEnoughLoadAnOversizedPoolIsAdvisedToShrink() throws {
        // 100 requests/s of 10 ms: L = 1, two threads with the front's minimum.
        let report = Self.report([Self.window("front", kind: .front, maxSize: 200, completed: 6000, service: .milliseconds(10))])
        let front = try #require(report.pools.first)
        #expect(front.recommendedSize == 2)
        #expect(front.advice.hasSuffix("larger than needed: front.max-threads 2 would do (now 200)"), "\(front.advice)")
    }

    @Test func theThresholdIsAHundredTasksAndOnePerSecond() throws {
        let below = Self.report([Self.window("back", kind: .back, maxSize: 64, completed: 99, service: .milliseconds(10), seconds: 10)])
        #expect(below.pools.first?.recommendedSize == nil)
        #expect(below.pools.first?.verdict == .notEnoughLoad)
        let enough = Self.report([Self.window("back", kind: .back, maxSize: 64, completed: 100, service: .milliseconds(10), seconds: 10)])
        #expect(enough.pools.first?.recommendedSize == 1)
        #expect(enough.pools.first?.verdict == .largerThanNeeded)
        // A hundred tasks, but over 200 s: 0.5/s is too little.
        let slow = Self.report([Self.window("back", kind: .back, maxSize: 64, completed: 100, service: .milliseconds(10), seconds: 200)])
        #expect(slow.pools.first?.verdict == .notEnoughLoad)
        #expect(slow.pools.first?.window?.completed == 100)
        #expect(slow.shrinkNeeds == .init(tasks: 100, ratePerSecond: 1))
    }

    @Test func aPoolTooSmallIsAdvisedToGrowWhateverTheSampleSize() throws {
        // Ten tasks of 30 s in a minute on two threads: L = 5.
        let report = Self.report([Self.window("back", kind: .back, maxSize: 2, completed: 10, service: .seconds(30))])
        let back = try #require(report.pools.first)
        #expect(back.recommendedSize == 6)
        #expect(back.advice.hasSuffix("too small: raise back.max-threads from 2 to 6"), "\(back.advice)")
    }

    @Test func refusalsAreReportedWhateverTheSampleSize() throws {
        let report = Self.report([Self.window("back", kind: .back, maxSize: 2, completed: 3, service: .milliseconds(5), rejected: 4)])
        #expect(report.warnings.contains { $0.hasPrefix("back pool: 4 requests were refused with 503") }, "\(report.warnings)")
    }

    // MARK: adaptive pools

    @Test func anAdaptivePoolWhoseWorkWaitsForTheCPUsIsNotAdvisedToGrow() throws {
        // 10,000 requests/s of 0.2 ms on two CPUs, waiting 5 ms for one: Little's law counts 52
        // in the pool, but more threads would only share the same two CPUs.
        let report = Self.report([Self.window(
            "front", kind: .front, maxSize: 200, completed: 600_000, service: .microseconds(200), wait: .milliseconds(5),
            adaptive: .init(sizing: .adaptive(parallelism: 2)))])
        let front = try #require(report.pools.first)
        #expect(front.verdict == .wellSized)
        #expect(front.recommendedSize == nil)
        #expect(front.adaptive?.parallelism == 2)
        #expect(front.adaptive?.parallelismKey == "front.parallelism")
        #expect(front.advice.hasPrefix("adaptive: up to 2 threads run at once (front.parallelism)"), "\(front.advice)")
        #expect(front.advice.hasSuffix("the CPUs are the limit, not the threads: work waits for one of 2 running threads; more threads would share the same CPUs"), "\(front.advice)")
        #expect(!report.warnings.contains { $0.contains("raise front.max-threads") }, "\(report.warnings)")
    }

    @Test func anAdaptivePoolReportsTheThreadsItAddedForBlockedOnes() throws {
        let report = Self.report([Self.window(
            "front", kind: .front, maxSize: 200, completed: 6000, service: .milliseconds(20),
            adaptive: .init(sizing: .adaptive(parallelism: 2), blocked: (3, 5), added: (10, 25)))])
        let front = try #require(report.pools.first)
        #expect(front.adaptive?.meanBlocked == 4)
        #expect(front.adaptive?.blockedNow == 5)
        #expect(front.adaptive?.addedForBlocked == 15)
        #expect(front.advice.contains("4.0 threads blocked on average, 15 added for blocked work in 60.0 s"), "\(front.advice)")
        #expect(front.advice.hasSuffix("sizes itself: nothing to change"), "\(front.advice)")
    }

    @Test func anAdaptivePoolThatRefusedWorkIsTooSmall() throws {
        let report = Self.report([Self.window(
            "reports", kind: .back, maxSize: 8, completed: 500, service: .milliseconds(20), rejected: 7,
            adaptive: .init(sizing: .adaptive(parallelism: 2)))])
        let pool = try #require(report.pools.first)
        #expect(pool.verdict == .tooSmall)
        #expect(pool.advice.hasSuffix("its queue overflowed (7 refused): raise executors.reports.queue"), "\(pool.advice)")
    }

    @Test func aWindowWithoutWorkSaysSo() throws {
        let report = Self.report([Self.window("front", kind: .front, maxSize: 200, completed: 0, service: .zero)])
        #expect(report.pools.first?.advice == "no work in the last 60.0 s: nothing to size")
        #expect(report.pools.first?.verdict == .noWork)
    }
}
