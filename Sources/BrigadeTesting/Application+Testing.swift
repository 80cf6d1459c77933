import Brigade
import NIOCore
import NIOHTTP1
import NIOPosix

/// How ``Brigade/Application/test(_:_:)`` reaches the application.
public enum TestMode: Sendable {
    /// No socket: requests go straight to the responder (still through the front pool).
    case inProcess
    /// A real server on 127.0.0.1 and an ephemeral port, and a real HTTP client.
    case live
}

extension Application {
    /// Runs `body` with a client for this application, then shuts the application down.
    ///
    /// ```swift
    /// try await app.test(.live) { client in
    ///     let response = try await client.get("/hello")
    ///     #expect(response.text == "Hello, World!")
    /// }
    /// ```
    public func test<R: Sendable>(_ mode: TestMode = .inProcess, _ body: @Sendable (TestClient) async throws -> R) async throws -> R {
        var app = self
        if mode == .live {
            app.configuration.server.host = "127.0.0.1"
            app.configuration.server.port = 0
        }
        let server = try app.makeServer()
        let client: TestClient
        switch mode {
        case .inProcess:
            do { try await server.startComponents() } catch {
                try? await server.shutdown(grace: .seconds(5))
                throw error
            }
            let responder = server.responder
            let loop = MultiThreadedEventLoopGroup.singleton.any()
            client = TestClient(send: { request in
                let response = await withCheckedContinuation { (continuation: CheckedContinuation<HTTPServerResponse, Never>) in
                    let writer = HTTPResponseWriter(eventLoop: loop) { continuation.resume(returning: $0) }
                    loop.execute { responder.respond(to: request, writer: writer) }
                }
                var body = response.body
                if request.method == .HEAD { body.clear() }
                return TestResponse(status: response.status, headers: response.headers, body: body)
            }, port: nil)
        case .live:
            try await server.start()
            guard let port = server.port else { throw HTTPServerError(message: "the server did not report its port") }
            client = TestClient(
                send: { request in try await LiveHTTPClient.send(request, port: port) }, port: port,
                managementPort: server.managementPort)
        }
        do {
            let result = try await body(client)
            try await server.shutdown(grace: .seconds(5))
            return result
        } catch {
            try? await server.shutdown(grace: .seconds(5))
            throw error
        }
    }
}
