import BrigadeTesting
import BrigadeExecutors
import BrigadeHTTP
import NIOCore
import Synchronization
import Testing

/// The connector on its own: a tiny responder, no Brigade.
@Suite struct HTTPServerTests {
    @Test func customResponderAnswersOverARealSocket() async throws {
        try await withHTTPServer(respond: { request, writer in
            writer.write(textResponse("you asked for \(request.method.rawValue) \(request.uri)"))
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET /ping?x=1 HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try #require(try await connection.responses(1).first)
            #expect(response.status == 200)
            #expect(response.body == "you asked for GET /ping?x=1")
            #expect(response.header("content-length") == "27")
            #expect(response.header("date") != nil)
            #expect(response.header("server") == "Brigade")
            await connection.close()
        }
    }

    @Test func responderIsCalledOnAnEventLoopThread() async throws {
        let tiers = Watched<[ThreadTier]>([])
        try await withHTTPServer(respond: { _, writer in
            tiers.update { $0.append(ThreadTier.current) }
            writer.write(textResponse("ok"))
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            try await connection.responses(1)
            #expect(tiers.value == [.eventLoop])
            await connection.close()
        }
    }

    @Test func secondWriteIsDroppedAndReturnsFalse() async throws {
        let results = Watched<[Bool]>([])
        try await withHTTPServer(respond: { _, writer in
            let first = writer.write(textResponse("first"))
            let second = writer.write(textResponse("second", status: .internalServerError))
            results.update { $0 += [first, second, writer.isWritten] }
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
            try await connection.responses(1)
            // A second request on the same connection: had the dropped write gone out, it
            // would show up here as an extra (or misattributed) response.
            try await connection.send("GET /b HTTP/1.1\r\nHost: test\r\n\r\n")
            let responses = try await connection.responses(2)
            #expect(responses.map(\.status) == [200, 200])
            #expect(responses.map(\.body) == ["first", "first"])
            #expect(RawResponse.parse(connection.received.value.bytes, closed: true).count == 2)
            #expect(results.value == [true, false, true, true, false, true])
            await connection.close()
        }
    }

    @Test func secondWriteFromAnotherThreadIsAlsoDropped() async throws {
        let results = Watched<[Bool]>([])
        try await withHTTPServer(respond: { _, writer in
            Task.detached {
                let first = writer.write(textResponse("first"))
                let second = writer.write(textResponse("second"))
                results.update { $0 += [first, second] }
            }
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET /a HTTP/1.1\r\nHost: test\r\n\r\n")
            let responses = try await connection.responses(1)
            try await results.wait { $0.count == 2 }
            #expect(responses.map(\.body) == ["first"])
            #expect(results.value == [true, false])
            await connection.close()
        }
    }

    @Test func clientDisconnectSignalsClientGone() async throws {
        struct Pending: Sendable { var request: HTTPServerRequest?; var writer: HTTPResponseWriter? }
        let pending = Watched(Pending())
        try await withHTTPServer(respond: { request, writer in
            pending.update { $0 = Pending(request: request, writer: writer) }  // held, not answered
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")
            let held = try await pending.wait { $0.request != nil }
            let request = try #require(held.request)
            #expect(!request.cancellation.isCancelled)

            await connection.close()
            let reason = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    await withCheckedContinuation { continuation in
                        request.cancellation.onCancel { continuation.resume(returning: $0) }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))  // a deadline, not synchronisation
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
            #expect(reason != nil, "the cancellation was not signalled")
            #expect(request.cancellation.isCancelled)
            // Answering afterwards is harmless: the writer still claims, nothing is sent.
            #expect(held.writer?.write(textResponse("too late")) == true)
        }
    }

    @Test func pipelinedRequestsAnsweredFromAnotherThreadComeBackInOrder() async throws {
        try await withHTTPServer(respond: { request, writer in
            Task.detached { writer.write(textResponse("answer to \(request.uri)")) }
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(
                "GET /1 HTTP/1.1\r\nHost: test\r\n\r\nGET /2 HTTP/1.1\r\nHost: test\r\n\r\nGET /3 HTTP/1.1\r\nHost: test\r\n\r\n")
            let responses = try await connection.responses(3)
            #expect(responses.map(\.body) == ["answer to /1", "answer to /2", "answer to /3"])
            #expect(!connection.isClosed)
            await connection.close()
        }
    }

    @Test func headResponseHasLengthButNoBody() async throws {
        try await withHTTPServer(respond: { _, writer in writer.write(textResponse("twelve bytes")) }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            // HEAD then GET on one connection: if the HEAD response carried a body, the GET's
            // response would be misparsed.
            try await connection.send("HEAD / HTTP/1.1\r\nHost: test\r\n\r\nGET / HTTP/1.1\r\nHost: test\r\n\r\n")
            try await connection.received.wait { String(decoding: $0.bytes, as: UTF8.self).contains("\r\n\r\ntwelve bytes") }
            let text = connection.text
            let heads = text.components(separatedBy: "HTTP/1.1 200 OK").count - 1
            #expect(heads == 2)
            #expect(text.components(separatedBy: "twelve bytes").count - 1 == 1)
            #expect(text.hasSuffix("\r\n\r\ntwelve bytes"))
            await connection.close()
        }
    }

    @Test func shutdownStopsListening() async throws {
        let seen = Watched<[String]>([])
        let server = HTTPServer(
            configuration: .init(host: "127.0.0.1", port: 0, eventLoops: 1),
            responder: ClosureResponder { request, writer in
                seen.update { $0.append(request.uri) }
                writer.write(textResponse("ok"))
            })
        try await server.start()
        let port = try #require(server.port)
        try await server.shutdown()
        #expect(server.port == nil)
        await expectNotAccepting(port: port, seen: seen)
    }
}

import Foundation

/// Graceful stop: `quiesce()` then `shutdown()`.
@Suite struct HTTPServerQuiesceTests {
    struct Held: Sendable { var writer: HTTPResponseWriter? }

    @Test func quiesceClosesIdleConnectionsAndFinishesTheRequestInProgress() async throws {
        let held = Watched(Held())
        let seen = Watched<[String]>([])
        let server = HTTPServer(
            configuration: .init(host: "127.0.0.1", port: 0, eventLoops: 1),
            responder: ClosureResponder { request, writer in
                seen.update { $0.append(request.uri) }
                if request.uri == "/hold" {
                    held.update { $0.writer = writer }
                } else {
                    writer.write(textResponse("quick"))
                }
            })
        try await server.start()
        let port = try #require(server.port)
        do {
            let busy = try await RawHTTPConnection.connect(port: port)
            try await busy.send("GET /hold HTTP/1.1\r\nHost: test\r\n\r\n")
            let writer = try #require(try await held.wait { $0.writer != nil }.writer)
            let idle = try await RawHTTPConnection.connect(port: port)
            try await idle.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try await idle.responses(1).map(\.status) == [200])

            await server.quiesce()
            try await idle.waitForClose()
            await expectNotAccepting(port: port, seen: seen)
            #expect(!busy.isClosed, "a connection with a request in progress must stay open for its answer")

            #expect(writer.write(textResponse("finished")))
            try await busy.waitForClose()
            let responses = busy.responses
            #expect(responses.map(\.body) == ["finished"])
            #expect(responses.first?.header("connection")?.lowercased() == "close")
            try await server.shutdown()
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    @Test func quiesceBeforeStartAndTwiceIsHarmless() async throws {
        let server = HTTPServer(
            configuration: .init(host: "127.0.0.1", port: 0, eventLoops: 1),
            responder: ClosureResponder { _, writer in writer.write(textResponse("ok")) })
        await server.quiesce()
        try await server.start()
        await server.quiesce()
        await server.quiesce()
        #expect(server.port == nil)
        try await server.shutdown()
    }
}
