import Brigade
import BrigadeTesting
import Testing

/// `server.shutdown-delay`: on shutdown, `/ready` answers 503 at once while the server goes on
/// serving for the delay — the load balancer's time to take it out — then it stops accepting.
@Suite(.timeLimit(.minutes(1))) struct ShutdownDelayTests {
    @Test func readinessGoesDownBeforeTheListenerCloses() async throws {
        var configuration = testConfiguration()
        configuration.shutdownDelay = .seconds(2)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in routes.get("/hello") { _ in "hello" } })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        let management = TestClient.live(port: try #require(server.managementPort))
        #expect(try await management.get("/ready").status == .ok)

        let clock = ContinuousClock()
        let began = clock.now
        let shutdown = Task { try await server.shutdown(grace: .seconds(5)) }
        // Not ready from the start of the shutdown…
        var ready = try await management.get("/ready")
        while ready.status == .ok, clock.now - began < .seconds(1) { ready = try await management.get("/ready") }
        #expect(ready.status == .serviceUnavailable)
        // …yet still serving new connections while the delay lasts.
        let served = try await LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/hello"), port: port)
        #expect(served.text == "hello")
        #expect(clock.now - began < .seconds(2), "answered within the delay")
        try await shutdown.value
        #expect(clock.now - began >= .seconds(2))
        await #expect(throws: (any Error).self) {
            _ = try await LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/hello"), port: port)
        }
    }

    @Test func aNegativeDelayIsRefusedNamingTheKey() throws {
        var configuration = Configuration()
        configuration.shutdownDelay = .seconds(-1)
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}
