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
