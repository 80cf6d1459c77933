import Brigade
import BrigadeTesting
import Testing
@testable import SlowCalls

/// Tests that load the machine: `scripts/test.sh` runs them on their own, before the rest,
/// so their CPU burst cannot delay the timing-sensitive tests of other suites.
@Suite(.serialized) struct LoadTests {
    @Test func oneFrontThreadServesAThousandConcurrentDeferredRequestsOverRealSockets() async throws {
        var configuration = testConfiguration(front: 1)
        configuration.front = .init(maxThreads: 1, minSpareThreads: 1, acceptQueue: 2000)
        var app = Application(configuration: configuration)
        app.register(SlowController(executors: app.executors))
        let started = ContinuousClock.now
        let statuses = try await app.test(.live) { client throws in
            try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<1000 {
                    group.addTask { try await client.get("/slow/deferred?ms=200").status.code }
                }
                return try await group.reduce(into: [UInt: Int]()) { $0[$1, default: 0] += 1 }
            }
        }
        let elapsed = ContinuousClock.now - started
        #expect(statuses == [200: 1000])
        // Serially, one front thread holding each request for 200 ms would need 200 s.
        #expect(elapsed < .seconds(10))
    }
}
