import Brigade
import BrigadeTesting
import Testing

/// HTTP/1.1 persistent connections and pipelining over a real socket.
@Suite struct KeepAliveAndPipeliningTests {
    @Test func twoRequestsOnOneConnectionAreBothAnsweredAndTheConnectionStaysOpen() async throws {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/hello/{name}") { request in "Hello, \(try request.path("name", as: String.self))!" }
        })
        try await withLiveServer(app) { server, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET /hello/one HTTP/1.1\r\nHost: test\r\n\r\n")
            let first = try await connection.responses(1)
            #expect(first.count == 1)
            try await connection.send("GET /hello/two HTTP/1.1\r\nHost: test\r\n\r\n")
            let both = try await connection.responses(2)
            #expect(both.map(\.status) == [200, 200])
            #expect(both.map(\.body) == ["Hello, one!", "Hello, two!"])
            #expect(both.allSatisfy { $0.header("connection")?.lowercased() != "close" })
            #expect(!connection.isClosed)
            #expect(connection.channel.isActive)
            #expect(server.http.openConnections == 1)
            await connection.close()
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlowest() async throws {
        let gate = Gate()
        let slowStarted = Counter()
        defer { gate.open() }
        var app = Application(configuration: testConfiguration(maxThreads: 4, minSpareThreads: 4))
        app.register(RoutesController { routes in
            routes.get("/hello/{name}") { request in
                let name = try request.path("name", as: String.self)
                if name == "a" {
                    slowStarted.increment()
                    gate.wait()
                }
                return "Hello, \(name)!"
            }
        })
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(
                "GET /hello/a HTTP/1.1\r\nHost: test\r\n\r\n"
                    + "GET /hello/b HTTP/1.1\r\nHost: test\r\n\r\n"
                    + "GET /hello/c HTTP/1.1\r\nHost: test\r\n\r\n")
            try await slowStarted.wait(for: 1)
            #expect(connection.responses.isEmpty, "nothing may be answered before the first request")
            gate.open()
            let responses = try await connection.responses(3)
            #expect(responses.map(\.status) == [200, 200, 200])
            #expect(responses.map(\.body) == ["Hello, a!", "Hello, b!", "Hello, c!"])
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func connectionCloseRequestIsAnsweredThenClosed() async throws {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in routes.get("/hello") { _ in "hi" } })
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET /hello HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            try await connection.waitForClose()
            let responses = connection.responses
            #expect(responses.map(\.status) == [200])
            #expect(responses.first?.header("connection")?.lowercased() == "close")
        }
    }
}
