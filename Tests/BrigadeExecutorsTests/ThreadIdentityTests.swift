@testable import BrigadeExecutors
import Testing

/// Thread names and tiers: what a pool's threads, and others, report about themselves.
@Suite("Thread identity")
struct ThreadIdentityTests {
    @Test func poolThreadsAreNamedAfterThePool() throws {
        let pool = try makePool("front", tier: .front, core: 2, max: 2)
        let gate = Latch(), named = Latch(count: 2)
        defer { pool.tearDown(opening: gate) }
        let names = Recorder<String>()

        // Each task holds its thread until the gate opens, so the two names are two threads.
        for _ in 0..<2 {
            try pool.execute {
                names.record(ThreadTier.currentThreadName)
                named.countDown()
                gate.wait()
            }
        }

        #expect(named.wait())
        #expect(Set(names.all) == ["front-1", "front-2"])
    }

    @Test func threadsStartedOnDemandTakeTheNextNumbers() throws {
        let pool = try makePool("worker", core: 1, max: 3)
        let gate = Latch(), named = Latch(count: 3)
        defer { pool.tearDown(opening: gate) }
        let names = Recorder<String>()

        for _ in 0..<3 {
            try pool.execute {
                names.record(ThreadTier.currentThreadName)
                named.countDown()
                gate.wait()
            }
        }

        #expect(named.wait())
        #expect(Set(names.all) == ["worker-1", "worker-2", "worker-3"])
    }

    @Test func frontPoolThreadsReportTheFrontTier() throws {
        let pool = try makePool("front", tier: .front)
        defer { pool.tearDown() }
        let done = Latch(), tiers = Recorder<ThreadTier>()

        try pool.execute {
            tiers.record(ThreadTier.current)
            done.countDown()
        }

        #expect(done.wait())
        #expect(tiers.all == [.front])
    }

    @Test func backExecutorThreadsReportTheirExecutorName() throws {
        let pool = try makePool("reports", tier: .back("reports"))
        defer { pool.tearDown() }
        let done = Latch(), tiers = Recorder<ThreadTier>(), names = Recorder<String>()

        try pool.execute {
            tiers.record(ThreadTier.current)
            names.record(ThreadTier.currentThreadName)
            done.countDown()
        }

        #expect(done.wait())
        #expect(tiers.all == [.back("reports")])
        #expect(tiers.all.first?.isBack == true)
        #expect(tiers.all.first?.description == "back:reports")
        #expect(names.all == ["reports-1"])
    }

    #if os(Linux)
    @Test func kernelSeesThePoolThreadName() throws {
        let pool = try makePool("kname")
        defer { pool.tearDown() }
        let done = Latch(), names = Recorder<String>()

        try pool.execute {
            names.record(ThreadIdentity.systemName())
            done.countDown()
        }

        #expect(done.wait())
        #expect(names.all == ["kname-1"])
    }
    #endif

    @Test func threadsOutsideAnyPoolAreUnmanaged() {
        #expect(ThreadTier.current == .unmanaged)
        let tiers = Recorder<ThreadTier>()
        onUnmanagedThreads(1) { _ in tiers.record(ThreadTier.current) }
        #expect(tiers.all == [.unmanaged])
    }

    @Test func markingAThreadSetsItsTierAndName() {
        let tiers = Recorder<ThreadTier>(), names = Recorder<String>()
        onUnmanagedThreads(1) { _ in
            ThreadTier.markCurrentThread(.eventLoop, name: "event-loop-7")
            tiers.record(ThreadTier.current)
            names.record(ThreadTier.currentThreadName)
        }
        #expect(tiers.all == [.eventLoop])
        #expect(names.all == ["event-loop-7"])
    }

    @Test func tierDescriptions() {
        #expect(ThreadTier.front.description == "front")
        #expect(ThreadTier.back("db").description == "back:db")
        #expect(ThreadTier.eventLoop.description == "event-loop")
        #expect(ThreadTier.unmanaged.description == "unmanaged")
        #expect(!ThreadTier.front.isBack)
    }
}
