import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// A value that renders as a ``Response`` on a front thread: what a handler returns to answer
/// now, and what an asynchronous result produces.
///
/// `String` (text/plain), ``Response``, ``ResponseEntity``, `HTTPResponseStatus` and
/// ``HTTPError`` conform; any other `Encodable` value is rendered as JSON by the route
/// overloads. The asynchronous and streaming return types are ``HandlerResult``s, not
/// response generators: they have nothing to render until their result comes.
public protocol ResponseGenerator: HandlerResult {
    /// Renders the value; runs on a front thread.
    /// - Parameter request: The request being answered.
    /// - Returns: The response to send.
    /// - Throws: When the value cannot be rendered; the error is handled like a handler's.
    func response(for request: Request) throws -> Response
}

extension String: ResponseGenerator {
    /// `text/plain; charset=utf-8`, status 200.
    public func response(for request: Request) throws -> Response { .text(self) }
}

extension HTTPServerResponse: ResponseGenerator {
    /// The response itself.
    public func response(for request: Request) throws -> Response { self }
}

extension HTTPResponseStatus: ResponseGenerator {
    /// An empty response with this status.
    public func response(for request: Request) throws -> Response { Response(status: self) }
}

/// Renders any `Encodable` value as `application/json` with status 200.
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    let value: Value
    func response(for request: Request) throws -> Response { try .json(value) }
}

/// Renders `Void` as `204 No Content`.
struct NoContent: ResponseGenerator {
    func response(for request: Request) throws -> Response { Response(status: .noContent) }
}
