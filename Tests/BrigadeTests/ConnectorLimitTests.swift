import Brigade
import BrigadeTesting
import Testing

/// The connector's limits over a real socket: each refusal is a problem+json answer, then
/// the connection closes.
@Suite struct ConnectorLimitTests {
    func app(_ adjust: (inout Configuration) -> Void = { _ in }) -> Application {
        var configuration = testConfiguration()
        adjust(&configuration)
        var app = Application(configuration: configuration)
        app.register(RoutesController { routes in
            routes.get("/hello") { _ in "hi" }
            routes.post("/upload") { request in "got \(request.body.readableBytes) bytes" }
        })
        return app
    }

    @Test func headerBlockOver8KiBIs431ThenClosed() async throws {
        try await withLiveServer(app()) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let big = String(repeating: "a", count: 8 * 1024 + 100)
            try await connection.send("GET /hello HTTP/1.1\r\nHost: test\r\nX-Big: \(big)\r\n\r\n")
            try await connection.waitForClose()
            let responses = connection.responses
            #expect(responses.count == 1)
            try expectProblem(try #require(responses.first), .requestHeaderFieldsTooLarge)
        }
    }

    @Test func headerBlockJustUnderTheLimitIsServed() async throws {
        try await withLiveServer(app()) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let big = String(repeating: "a", count: 7 * 1024)
            try await connection.send("GET /hello HTTP/1.1\r\nHost: test\r\nX-Big: \(big)\r\n\r\n")
            let responses = try await connection.responses(1)
            #expect(responses.map(\.status) == [200])
            await connection.close()
        }
    }

    @Test func contentLengthOverMaxBodySizeIs413ThenClosed() async throws {
        try await withLiveServer(app { $0.server.maxBodySize = 1024 }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            // Only the head: the refusal must come from the declared length, before any body.
            try await connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000\r\n\r\n")
            try await connection.waitForClose()
            let responses = connection.responses
            #expect(responses.count == 1)
            try expectProblem(try #require(responses.first), .payloadTooLarge, detailContains: "1024")
        }
    }

    @Test func chunkedBodyOverMaxBodySizeIs413ThenClosed() async throws {
        try await withLiveServer(app { $0.server.maxBodySize = 1024 }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let chunk = String(repeating: "x", count: 1500)
            try await connection.send(
                "POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "\(String(chunk.utf8.count, radix: 16))\r\n\(chunk)\r\n")
            try await connection.waitForClose()
            let responses = connection.responses
            #expect(responses.count == 1)
            try expectProblem(try #require(responses.first), .payloadTooLarge)
        }
    }

    @Test func bodyAtMaxBodySizeIsAccepted() async throws {
        try await withLiveServer(app { $0.server.maxBodySize = 1024 }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let body = String(repeating: "x", count: 1024)
            try await connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 1024\r\n\r\n\(body)")
            let responses = try await connection.responses(1)
            #expect(responses.map(\.status) == [200])
            #expect(responses.first?.body == "got 1024 bytes")
            await connection.close()
        }
    }

    @Test func garbageBytesAre400ThenClosed() async throws {
        try await withLiveServer(app()) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(bytes: [0x16, 0x03, 0x01, 0x00, 0xA5] + Array("\u{1}\u{2} garbage \r\n\r\n".utf8))
            try await connection.waitForClose()
            let responses = connection.responses
            #expect(responses.count == 1)
            try expectProblem(try #require(responses.first), .badRequest)
        }
    }

    @Test func idleConnectionIsClosedAfterIdleTimeout() async throws {
        try await withLiveServer(app { $0.server.idleTimeout = .milliseconds(200) }) { _, port in
            let clock = ContinuousClock()
            let start = clock.now
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.waitForClose(timeout: .seconds(5))
            #expect(clock.now - start >= .milliseconds(150))
            #expect(connection.received.value.bytes.isEmpty)
        }
    }

    @Test func keepAliveConnectionIsClosedAfterIdleTimeoutFollowingAResponse() async throws {
        // Long enough that a loaded machine sends the request before the connection idles out.
        try await withLiveServer(app { $0.server.idleTimeout = .seconds(2) }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try await connection.responses(1).map(\.status) == [200])
            try await connection.waitForClose(timeout: .seconds(15))
            #expect(connection.responses.count == 1)
        }
    }

    @Test func stalledRequestIsClosedAfterIdleTimeout() async throws {
        // Long enough that a loaded machine sends the partial request before the timeout.
        try await withLiveServer(app { $0.server.idleTimeout = .seconds(1) }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            // On a machine busy enough, the idle timeout may close the connection before the
            // partial request is even sent: that too is "closed without an answer".
            try? await connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nonly part")
            try await connection.waitForClose(timeout: .seconds(5))
            #expect(connection.responses.isEmpty)
        }
    }

    @Test func thirdConnectionIsServedOnlyAfterOneOfTwoCloses() async throws {
        try await withLiveServer(app { $0.server.maxConnections = 2 }) { server, port in
            let first = try await RawHTTPConnection.connect(port: port)
            try await first.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try await first.responses(1).map(\.status) == [200])
            let second = try await RawHTTPConnection.connect(port: port)
            try await second.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try await second.responses(1).map(\.status) == [200])

            // The kernel completes the third handshake (backlog), but the server does not accept it.
            let third = try await RawHTTPConnection.connect(port: port)
            try await third.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
            // Round trips on the open connections: the server is serving, yet the third waits.
            for round in 2...3 {
                try await first.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(try await first.responses(round).count == round)
                try await second.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(try await second.responses(round).count == round)
            }
            #expect(third.received.value.bytes.isEmpty, "the third connection was served while two were open")
            #expect(server.http.openConnections == 2)

            await first.close()
            let answered = try await third.responses(1)
            #expect(answered.map(\.status) == [200])
            await second.close()
            await third.close()
        }
    }
}
