import BrigadeTesting
import BrigadeExecutors
import BrigadeHTTP
import Foundation
import NIOCore
import Testing

/// Limits and refusals at the edges: bursts of connections, oversized input sent in full.
@Suite struct ConnectorEdgeTests {
    func withServer<R: Sendable>(
        _ configure: (inout HTTPServer.Configuration) -> Void = { _ in },
        _ body: (HTTPServer, Int) async throws -> R
    ) async throws -> R {
        try await withHTTPServer(configure, respond: { request, writer in
            writer.write(textResponse("ok \(request.body.readableBytes)"))
        }, body)
    }

    /// Blocks the server's only event loop until the returned gate opens, so connections
    /// pile up in the kernel's accept queue and are accepted in one burst.
    func blockEventLoop(of server: HTTPServer) async throws -> BlockingGate {
        let gate = BlockingGate()
        let blocked = Watched(false)
        server.eventLoopGroup.any().execute {
            blocked.update { $0 = true }
            gate.wait()
        }
        try await blocked.wait { $0 }
        return gate
    }

    @Test func maxConnectionsHoldsForConnectionsAcceptedInOneBurst() async throws {
        try await withServer({ $0.maxConnections = 2 }) { server, port in
            let gate = try await blockEventLoop(of: server)
            var connections: [RawHTTPConnection] = []
            do {
                for _ in 0..<3 {
                    let connection = try await RawHTTPConnection.connect(port: port)
                    try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
                    connections.append(connection)
                }
            } catch {
                gate.open()
                throw error
            }
            gate.open()
            let (first, second, third) = (connections[0], connections[1], connections[2])
            #expect(try await first.responses(1).map(\.status) == [200])
            #expect(try await second.responses(1).map(\.status) == [200])
            for round in 2...3 {
                try await first.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
                #expect(try await first.responses(round).count == round)
            }
            #expect(third.received.value.bytes.isEmpty, "a third connection was served with max-connections 2")
            #expect(server.openConnections == 2)

            await first.close()
            #expect(try await third.responses(1).map(\.status) == [200])
            await second.close()
            await third.close()
        }
    }

    @Test func refusalIsReadableEvenWhenTheClientSentAHugeBody() async throws {
        try await withServer({ $0.maxBodySize = 1024 }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: 512 * 1024)
            let head = Array("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
            try? await connection.send(bytes: head + body)  // the server may stop reading midway
            try await connection.waitForClose()
            let responses = connection.responses
            #expect(responses.map(\.status) == [413], "received: \(connection.text.prefix(200))")
        }
    }

    @Test func refusalIsReadableEvenWhenTheHeaderBlockIsFarOverTheLimit() async throws {
        try await withServer { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            var request = "GET / HTTP/1.1\r\nHost: test\r\n"
            for index in 0..<64 { request += "X-Filler-\(index): \(String(repeating: "y", count: 1000))\r\n" }
            try? await connection.send(request + "\r\n")
            try await connection.waitForClose()
            #expect(connection.responses.map(\.status) == [431], "received: \(connection.text.prefix(200))")
        }
    }

    @Test func http10RequestIsAnsweredThenClosed() async throws {
        try await withServer { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.0\r\n\r\n")
            try await connection.waitForClose()
            let responses = connection.responses
            #expect(responses.map(\.status) == [200])
            #expect(connection.text.hasPrefix("HTTP/1.0 200"))
        }
    }

    @Test func http10KeepAliveRequestKeepsTheConnection() async throws {
        try await withServer { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            try await connection.responses(1)
            try await connection.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await connection.responses(2).map(\.status) == [200, 200])
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func garbageAfterAPipelinedRequestGets400AfterTheFirstAnswer() async throws {
        try await withServer { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n\u{1}\u{2}\u{3} nonsense\r\n\r\n")
            try await connection.waitForClose()
            #expect(connection.responses.map(\.status) == [200, 400])
        }
    }
}

/// A gate an event-loop thread blocks on in a test (only to force a burst of accepts).
final class BlockingGate: @unchecked Sendable {
    // @unchecked Sendable: `isOpen` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var isOpen = false

    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    func wait(timeout: TimeInterval = 15) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !isOpen, condition.wait(until: deadline) {}
    }
}

/// Responses the connector must not send as they are.
@Suite struct InvalidResponseTests {
    @Test func headerValueWithCRLFIsNotSentAndTheClientGets500() async throws {
        try await withHTTPServer(respond: { _, writer in
            writer.write(HTTPServerResponse(status: .found, headers: ["location": "/next\r\nInjected: yes"]))
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            try await connection.waitForClose()
            #expect(!connection.text.contains("Injected"))
            let responses = connection.responses
            #expect(responses.map(\.status) == [500], "received: \(connection.text)")
            #expect(responses.first?.header("content-type") == "application/problem+json")
        }
    }

    @Test func reasonPhraseWithCRLFIsNotSentAndTheClientGets500() async throws {
        try await withHTTPServer(respond: { _, writer in
            writer.write(HTTPServerResponse(status: .custom(code: 299, reasonPhrase: "Fine\r\nInjected: yes")))
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            try await connection.waitForClose()
            #expect(!connection.text.contains("Injected"))
            #expect(connection.responses.map(\.status) == [500])
        }
    }

    @Test func headerValuesWithTabsAndUTF8AreSentAsTheyAre() async throws {
        try await withHTTPServer(respond: { _, writer in
            writer.write(HTTPServerResponse(status: .ok, headers: ["x-note": "a\tb Jürgen"]))
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            let responses = try await connection.responses(1)
            #expect(responses.map(\.status) == [200])
            #expect(responses.first?.header("x-note") == "a\tb Jürgen")
            await connection.close()
        }
    }
}
