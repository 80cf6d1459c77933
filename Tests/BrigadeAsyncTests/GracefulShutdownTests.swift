import Brigade
import BrigadeTesting
import Testing

/// Shutdown answers every accepted request: pending async ones finish within the grace
/// period or are ended with 503 (or their timeout result).
@Suite struct GracefulShutdownTests {
    @Test func pendingDeferredRequestsAreAnsweredWhenTheGracePasses() async throws {
        let created = Recorder<DeferredResult<String>>()
        let completions = Recorder<Int>()
        var app = Application(configuration: testConfiguration(asyncTimeout: .seconds(60)))
        app.register(TestController { routes in
            routes.get("/never") { _ in
                let result = DeferredResult<String>()
                result.onCompletion { completions.record(1) }
                created.record(result)
                return result
            }
            routes.get("/later") { _ in
                let result = DeferredResult<String>()
                created.record(result)
                return result
            }
            routes.get("/empty") { _ in DeferredResult<[String]>(timeoutResult: []) }
        })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        async let never = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/never"), port: port)
        async let later = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/later"), port: port)
        async let empty = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/empty"), port: port)
        #expect(await eventually { server.pendingAsyncRequests == 3 })

        let shutdown = Task { try await server.shutdown(grace: .milliseconds(500)) }
        // Within the grace period, a result still wins.
        #expect(created.all.count == 2)
        #expect(created.all[0].setResult("in time"))

        let answers = try await [never, later, empty]
        try await shutdown.value
        let statuses = answers.map(\.status.code).sorted()
        // One completed in time (200), the timeout-result one answered [] (200), the other 503.
        #expect(statuses == [200, 200, 503])
        #expect(answers.contains { $0.text == "in time" })
        #expect(answers.contains { $0.text == "[]" })
        let refused = try #require(answers.first { $0.status == .serviceUnavailable })
        #expect(refused.header("retry-after") == "1")
        #expect(refused.text.contains("shutting down"))
        #expect(server.pendingAsyncRequests == 0)
        #expect(completions.count == 1, "onCompletion ran once, whichever way /never ended")
        let allEnded = created.all.allSatisfy { $0.isSetOrExpired }
        #expect(allEnded)
    }

    /// A handler still running on a front thread when shutdown begins, with nothing else
    /// pending, and which then goes asynchronous, is answered when its result comes.
    @Test func aRequestStillOnTheFrontWhenShutdownBeginsIsAnswered() async throws {
        let entered = Latch()
        let proceed = Latch()
        var app = Application(configuration: testConfiguration(asyncTimeout: .seconds(60)))
        app.register(TestController { routes in
            routes.get("/late") { _ in
                entered.open()
                proceed.wait()  // holds the front thread until shutdown has begun
                let result = DeferredResult<String>()
                Scheduler.shared.schedule(after: .milliseconds(200)) { result.setResult("late") }
                return result
            }
        })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        async let answer = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/late"), port: port)
        #expect(await entered.waitAsync())

        let shutdown = Task { try await server.shutdown(grace: .seconds(5)) }
        // Nothing is pending, so shutdown goes straight on to drain the front pool, which
        // refuses new work from then on.
        #expect(await eventually { (try? server.frontPool.execute {}) == nil })
        proceed.open()

        let response = try await answer
        #expect(response.status == .ok)
        #expect(response.text == "late")
        try await shutdown.value
        #expect(server.pendingAsyncRequests == 0)
    }
}
