import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// What a handler may return: anything that can become a ``Response``.
///
/// `String` (text/plain), ``Response``, ``ResponseEntity``, `HTTPResponseStatus` and
/// ``HTTPError`` conform; any other `Encodable` value is rendered as JSON by the route
/// overloads. The asynchronous return types (`Callable`, `WebAsyncTask`, `DeferredResult`)
/// are further conformers, chosen by the compiler from the handler's return type.
public protocol ResponseGenerator: Sendable {
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
