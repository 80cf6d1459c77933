import Brigade
import BrigadeTesting
import Testing

/// `BrigadeServer.shutdown(grace:)` is documented to let the front pool finish its work.
@Suite struct ShutdownTests {
    @Test func shutdownLetsTheRequestInProgressFinish() async throws {
        let gate = Gate()
        let started = Counter()
        defer { gate.open() }
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/slow") { _ in
                started.increment()
                gate.wait()
                return "finished"
            }
        })
        app.configuration.server.host = "127.0.0.1"
        app.configuration.server.port = 0
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        let connection = try await RawHTTPConnection.connect(port: port)
        try await connection.send("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
        try await started.wait(for: 1)

        let shutdown = Task { try await server.shutdown(grace: .seconds(10)) }
        // Correct: the connection stays open while its handler runs. A close within this
        // deadline, with the handler still blocked, is the bug (a deadline, not a sync point).
        let closedWhileHandlerRan = (try? await connection.waitForClose(timeout: .milliseconds(500))) != nil
        gate.open()
        try await shutdown.value

        #expect(!closedWhileHandlerRan)
        #expect(try await connection.responses(1).map(\.body) == ["finished"])
        await connection.close()
    }
}
