import Brigade
import BrigadeExecutors
import Testing

/// The default back executor follows the managed database pools' connections unless
/// `back.max-threads` was chosen.
@Suite struct BackSizingTests {
    /// A database pool that only reports its size.
    final class FakeDatabase: ManagedPool {
        let name: String
        let kind = PoolKind.database
        let connections: Int
        init(_ name: String = "database", connections: Int) {
            self.name = name
            self.connections = connections
        }
        func snapshot() -> PoolSnapshot {
            PoolSnapshot(
                name: name, kind: kind, takenAtNanoseconds: 0, size: 0, active: 0, queued: 0, coreSize: 0,
                maxSize: connections, queueCapacity: nil, completed: 0, rejected: 0,
                queueWait: LatencyHistogram(), service: LatencyHistogram())
        }
    }

    func backSize(_ configuration: Configuration, managing pools: [any ManagedPool]) async throws -> (core: Int, max: Int, named: Int?) {
        var app = Application(configuration: configuration)
        for pool in pools { app.manage(pool) }
        let server = try app.makeServer()
        let back = server.executors.defaultExecutor.configuration
        let named = server.executors["reports"]?.configuration.maxThreads
        try await server.shutdown(grace: .zero)
        return (back.coreThreads, back.maxThreads, named)
    }

    @Test func withoutADatabaseTheBackExecutorHasItsDefault() async throws {
        let size = try await backSize(Configuration(), managing: [])
        #expect(size.max == 64)
        #expect(size.core == 16)
    }

    @Test func unsetItFollowsTheDatabaseConnections() async throws {
        var configuration = Configuration()
        configuration.executors["reports"] = .init(coreThreads: 0, maxThreads: 3)
        let size = try await backSize(configuration, managing: [FakeDatabase("orders", connections: 7), FakeDatabase("audit", connections: 5)])
        #expect(size.max == 12)
        #expect(size.core == 12)
        // Named executors keep their own sizes.
        #expect(size.named == 3)
        let small = try await backSize(Configuration(), managing: [FakeDatabase(connections: 4)])
        #expect(small.max == 4)
        #expect(small.core == 4)
    }

    @Test func chosenItStays() async throws {
        var inCode = Configuration()
        inCode.back.maxThreads = 40
        #expect(try await backSize(inCode, managing: [FakeDatabase(connections: 7)]).max == 40)
        let byKey = try await Configuration.load(arguments: ["test", "--back-max-threads", "64"], environment: [:])
        #expect(byKey.back.isMaxThreadsSet)
        #expect(try await backSize(byKey, managing: [FakeDatabase(connections: 7)]).max == 64)
        let unset = try await Configuration.load(arguments: ["test"], environment: [:])
        #expect(!unset.back.isMaxThreadsSet)
    }
}
