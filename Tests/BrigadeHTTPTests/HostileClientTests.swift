import BrigadeTesting
import BrigadeHTTP
import NIOCore
import Testing

/// Clients that try to hold connections or memory: slow request bodies (R-U-Dead-Yet),
/// slow request heads (slowloris), requests without `Host`. Over real sockets.
@Suite struct HostileClientTests {
    /// Answers `ok <body bytes>`.
    func withServer<R: Sendable>(
        _ configure: (inout HTTPServer.Configuration) -> Void = { _ in },
        _ body: (HTTPServer, Int) async throws -> R
    ) async throws -> R {
        try await withHTTPServer(configure, respond: { request, writer in
            writer.write(textResponse("ok \(request.body.readableBytes)"))
        }, body)
    }

    /// Opens a connection, sends a POST head declaring `length` body bytes, then sends
    /// `chunk` bytes every `interval` (the attack's pace, not a synchronisation) until the
    /// connection closes or the body is complete.
    func trickle(port: Int, length: Int, chunk: Int = 1, every interval: Duration) async throws -> (RawHTTPConnection, RepeatedTask) {
        let connection = try await RawHTTPConnection.connect(port: port)
        // The first chunk goes with the head: the pace counts from the head's arrival. The rest
        // is paced by the connection's event loop, so a busy test run cannot slow the sender.
        let first = min(chunk, length)
        try await connection.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: \(length)\r\n\r\n" + String(repeating: "x", count: first))
        let sender = connection.trickle(length: length - first, chunk: chunk, every: interval)
        return (connection, sender)
    }

    /// Sends one GET on a new connection and returns its status and how long the answer took.
    func bystander(port: Int) async throws -> (status: Int?, took: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let connection = try await RawHTTPConnection.connect(port: port)
        try await connection.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
        let status = try await connection.responses(1, timeout: .seconds(20)).first?.status
        let took = clock.now - start
        await connection.close()
        return (status, took)
    }

    func expectTimedOut(_ connection: RawHTTPConnection, sourceLocation: SourceLocation = #_sourceLocation) {
        let responses = connection.responses
        #expect(responses.map(\.status) == [408], "received: \(connection.text.prefix(300))", sourceLocation: sourceLocation)
        #expect(responses.first?.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
        #expect(responses.first?.header("connection") == "close", sourceLocation: sourceLocation)
    }

    // MARK: slow bodies

    @Test func slowBodiesHoldingEveryConnectionAreCutByDefaultAndAWaitingClientIsServed() async throws {
        // Default body settings (at least 240 bytes/s after a 5 s grace). Four connections, all
        // the server allows, each sending its body a byte every 500 ms: without a minimum rate
        // every byte would reset the idle timer and they would hold the server forever.
        try await withServer({ $0.maxConnections = 4 }) { _, port in
            let clock = ContinuousClock()
            let start = clock.now
            var slow: [(RawHTTPConnection, RepeatedTask)] = []
            for _ in 0..<4 { slow.append(try await trickle(port: port, length: 8192, every: .milliseconds(500))) }
            defer { for (_, sender) in slow { sender.cancel() } }
            // Accepted by the kernel, served once a slot frees.
            let waiting = try await bystander(port: port)
            #expect(waiting.status == 200)
            for (connection, _) in slow {
                try await connection.waitForClose(timeout: .seconds(20))
                expectTimedOut(connection)
            }
            let cutAfter = clock.now - start
            #expect(cutAfter >= .milliseconds(4500) && cutAfter < .seconds(15), "cut after \(cutAfter)")
        }
    }

    @Test func slowBodiesAreCutWhileABystanderIsServedPromptly() async throws {
        try await withServer({
            $0.minBodyRate = 1000
            $0.minBodyRateGrace = .seconds(3)
        }) { server, port in
            var slow: [(RawHTTPConnection, RepeatedTask)] = []
            for _ in 0..<8 { slow.append(try await trickle(port: port, length: 8192, chunk: 10, every: .milliseconds(100))) }
            defer { for (_, sender) in slow { sender.cancel() } }
            let served = try await bystander(port: port)
            #expect(served.status == 200)
            // Answered while the slow bodies still held their connections, not after they were cut.
            #expect(slow.allSatisfy { !$0.0.isClosed }, "a slow body was cut before the bystander was answered")
            #expect(served.took < .seconds(3), "the bystander waited \(served.took)")
            for (connection, _) in slow {
                try await connection.waitForClose(timeout: .seconds(10))
                expectTimedOut(connection)
            }
            // The server counts a connection closed when its own side is done with it, which
            // may trail the client's seeing the close by a moment.
            let deadline = ContinuousClock.now + .seconds(5)
            while server.openConnections > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.openConnections == 0)
        }
    }

    @Test func aBodyUnderTheMinimumRateIsCutAfterTheGracePeriod() async throws {
        try await withServer({
            $0.minBodyRate = 1000
            $0.minBodyRateGrace = .milliseconds(300)
        }) { _, port in
            let clock = ContinuousClock()
            let start = clock.now
            // 100 bytes/s, a tenth of the minimum.
            let (connection, sender) = try await trickle(port: port, length: 4000, chunk: 10, every: .milliseconds(100))
            defer { sender.cancel() }
            try await connection.waitForClose(timeout: .seconds(10))
            expectTimedOut(connection)
            #expect(clock.now - start >= .milliseconds(250))
            #expect(connection.responses.first?.body.contains("bytes/s") == true)
        }
    }

    @Test func aBodySentAtANormalPaceIsNotCut() async throws {
        try await withServer({
            $0.minBodyRate = 100
            $0.minBodyRateGrace = .milliseconds(300)
            $0.bodyTimeout = .seconds(10)
        }) { _, port in
            // 200 bytes every 50 ms: 4,000 bytes/s, for about a second, past the grace period;
            // forty times the minimum, so a busy machine's late timers do not make it too slow.
            let (connection, sender) = try await trickle(port: port, length: 4000, chunk: 200, every: .milliseconds(50))
            defer { sender.cancel() }
            let responses = try await connection.responses(1, timeout: .seconds(10))
            #expect(responses.map(\.status) == [200])
            #expect(responses.first?.body == "ok 4000")
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func theWholeBodyMustArriveWithinTheBodyTimeout() async throws {
        try await withServer({
            $0.minBodyRate = 0  // off: only the body timeout applies
            $0.bodyTimeout = .milliseconds(500)
        }) { _, port in
            let clock = ContinuousClock()
            let start = clock.now
            let (connection, sender) = try await trickle(port: port, length: 100, every: .milliseconds(50))
            defer { sender.cancel() }
            try await connection.waitForClose(timeout: .seconds(10))
            expectTimedOut(connection)
            #expect(clock.now - start >= .milliseconds(450))
        }
    }

    // MARK: slow heads

    @Test func aHeadSentSlowlyIsClosedByTheIdleTimeout() async throws {
        // Slowloris: header lines trickle in, never the blank line. Partial heads are not
        // activity: the connection closes after the idle timeout, without an answer.
        try await withServer({ $0.idleTimeout = .milliseconds(500) }) { _, port in
            let clock = ContinuousClock()
            let start = clock.now
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n")
            let sender = Task {
                for index in 0..<100 where !connection.isClosed {
                    guard (try? await connection.send("X-Slow-\(index): a\r\n")) != nil else { return }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            defer { sender.cancel() }
            try await connection.waitForClose(timeout: .seconds(5))
            #expect(connection.responses.isEmpty)
            #expect(clock.now - start >= .milliseconds(450))
        }
    }

    // MARK: Host

    @Test(arguments: [
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi",
    ])
    func anHTTP11RequestWithoutExactlyOneHostIs400ThenClosed(_ request: String) async throws {
        try await withServer { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(request)
            try await connection.waitForClose()
            let responses = connection.responses
            #expect(responses.map(\.status) == [400], "received: \(connection.text.prefix(300))")
            #expect(responses.first?.header("content-type") == "application/problem+json")
            #expect(responses.first?.body.contains("Host") == true)
        }
    }

    @Test func anHTTP10RequestNeedsNoHost() async throws {
        try await withServer { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.0\r\n\r\n")
            try await connection.waitForClose()
            #expect(connection.responses.map(\.status) == [200])
        }
    }
}
