import Brigade
import Foundation
import NIOCore
import NIOHTTP1

/// Sends requests to an application under test, in-process or over a real socket.
public struct TestClient: Sendable {
    let send: @Sendable (HTTPServerRequest) async throws -> TestResponse
    /// The port the application listens on, in live mode.
    public let port: Int?
    /// The management port, in live mode when it is enabled.
    public internal(set) var managementPort: Int? = nil

    /// A client for the management port (metrics, health, `/pools`), in live mode.
    public var management: TestClient? { managementPort.map { TestClient.live(port: $0) } }

    /// A client for a server already listening on 127.0.0.1:`port` (another process, say).
    public static func live(port: Int, host: String = "127.0.0.1") -> TestClient {
        TestClient(send: { request in try await LiveHTTPClient.send(request, port: port, host: host) }, port: port)
    }

    /// Sends a request and waits for its final response (deferred results included).
    /// - Parameters:
    ///   - method: The method.
    ///   - uri: The path and query.
    ///   - headers: Request headers.
    ///   - body: The body.
    public func execute(_ method: HTTPMethod, _ uri: String, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) async throws -> TestResponse {
        try await send(HTTPServerRequest(method: method, uri: uri, headers: headers, body: body))
    }

    /// `GET uri`.
    public func get(_ uri: String, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await execute(.GET, uri, headers: headers)
    }

    /// `DELETE uri`.
    public func delete(_ uri: String, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        try await execute(.DELETE, uri, headers: headers)
    }

    /// Sends `value` as a JSON body.
    public func send<T: Encodable>(_ method: HTTPMethod, _ uri: String, json value: T, headers: HTTPHeaders = [:]) async throws -> TestResponse {
        var headers = headers
        headers.replaceOrAdd(name: "content-type", value: "application/json")
        let data = try JSONEncoder().encode(value)
        return try await execute(method, uri, headers: headers, body: ByteBuffer(bytes: data))
    }

    /// Sends raw text as the body with the given content type.
    public func send(_ method: HTTPMethod, _ uri: String, body: String, contentType: String?) async throws -> TestResponse {
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "content-type", value: contentType) }
        return try await execute(method, uri, headers: headers, body: ByteBuffer(string: body))
    }
}
