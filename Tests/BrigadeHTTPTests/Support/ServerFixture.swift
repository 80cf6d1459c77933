import BrigadeTesting
import BrigadeHTTP
import NIOCore
import Testing

/// Answers from a closure, called on the event loop (as every responder is).
struct ClosureResponder: HTTPResponder {
    let body: @Sendable (HTTPServerRequest, HTTPResponseWriter) -> Void
    func respond(to request: HTTPServerRequest, writer: HTTPResponseWriter) { body(request, writer) }
}

/// Starts a connector on 127.0.0.1, an ephemeral port and one event loop, runs `body` with
/// it and its port, and shuts it down.
func withHTTPServer<R: Sendable>(
    _ configure: (inout HTTPServer.Configuration) -> Void = { _ in },
    respond: @escaping @Sendable (HTTPServerRequest, HTTPResponseWriter) -> Void,
    _ body: (HTTPServer, Int) async throws -> R
) async throws -> R {
    var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0, eventLoops: 1)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, responder: ClosureResponder(body: respond))
    try await server.start()
    do {
        let port = try #require(server.port)
        let result = try await body(server, port)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// A `text/plain` response.
func textResponse(_ text: String, status: HTTPResponseStatus = .ok) -> HTTPServerResponse {
    HTTPServerResponse(status: status, headers: ["content-type": "text/plain"], body: ByteBuffer(string: text))
}

/// Checks that a stopped server no longer accepts on `port`.
///
/// The freed port may already belong to another test's server (tests run in parallel), so a
/// successful connect is not a failure by itself: the probe request must just never reach
/// this server's responder, which records every URI it sees in `seen`.
func expectNotAccepting(port: Int, seen: Watched<[String]>, sourceLocation: SourceLocation = #_sourceLocation) async {
    let probe = "/probe-\(UInt64.random(in: 0...UInt64.max))"
    guard let connection = try? await RawHTTPConnection.connect(port: port) else { return }  // refused: not listening
    try? await connection.send("GET \(probe) HTTP/1.1\r\nHost: test\r\n\r\n")
    _ = try? await connection.responses(1, timeout: .seconds(2))
    await connection.close()
    #expect(!seen.value.contains(probe), "the stopped server accepted a connection", sourceLocation: sourceLocation)
}
