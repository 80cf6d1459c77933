import Brigade
import BrigadeTesting
import Testing

/// Handlers run on the front pool, never on an event loop.
@Suite struct FrontThreadTests {
    struct ThreadReport: Codable, Sendable {
        let tier: String
        let name: String
    }

    func app() -> Application {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/thread") { _ in
                ThreadReport(tier: ThreadTier.current.description, name: ThreadTier.currentThreadName)
            }
        })
        return app
    }

    @Test func handlerRunsOnFrontThreadOverRealSocket() async throws {
        try await app().test(.live) { client async throws in
            let report = try await client.get("/thread").decode(ThreadReport.self)
            #expect(report.tier == "front")
            #expect(report.name.hasPrefix("front-"), "thread \(report.name)")
            #expect(Int(report.name.dropFirst("front-".count)) != nil, "thread \(report.name)")
        }
    }

    @Test func handlerRunsOnFrontThreadInProcess() async throws {
        try await app().test(.inProcess) { client async throws in
            let report = try await client.get("/thread").decode(ThreadReport.self)
            #expect(report.tier == "front")
            #expect(report.name.hasPrefix("front-"), "thread \(report.name)")
        }
    }

    @Test func connectorThreadsAreEventLoopsAndNotFrontThreads() async throws {
        let server = try app().makeServer()
        let tier = try await server.http.eventLoopGroup.any().submit { ThreadTier.current }.get()
        #expect(tier == .eventLoop)
        try await server.shutdown(grace: .seconds(1))
    }
}
