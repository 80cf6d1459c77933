import BrigadeExecutors
import BrigadeHTTP
import Logging
import NIOCore
import NIOHTTP1

/// An HTTP request as a handler sees it: the message, the matched route and its path
/// variables, and the ``WorkContext`` that travels with it to every thread.
///
/// A value: copying it to another thread is safe.
public struct Request: Sendable {
    /// The underlying message.
    public var message: HTTPServerRequest
    /// The matched route's template (`/users/{id}`), `nil` before routing or when none matched.
    public internal(set) var route: String?
    /// The path variables of the matched route.
    public internal(set) var parameters: PathParameters
    /// The context shared with every thread that works on this request: request id, logger,
    /// deadline, cancellation and user values (``subscript(_:)``).
    public var context: WorkContext

    init(message: HTTPServerRequest, context: WorkContext) {
        self.message = message
        self.route = nil
        self.parameters = PathParameters()
        self.context = context
    }

    /// The method.
    public var method: HTTPMethod { message.method }
    /// The request target as sent.
    public var uri: String { message.uri }
    /// The path, without the query string.
    public var path: Substring { message.path }
    /// The headers.
    public var headers: HTTPHeaders { message.headers }
    /// The body, whole — on a route that buffers its body (the default). Empty on a route
    /// that streams it: read ``bodyStream`` there.
    public var body: ByteBuffer { message.body }
    /// The body as a stream, read while it arrives on a route registered with
    /// `body: .stream(maxSize:)`: blocking (``RequestBodyStream/read()``,
    /// ``RequestBodyStream/readAll(upTo:)``) on front and back threads, or
    /// `for try await chunk in request.bodyStream` in `async` handlers. On a buffered route,
    /// a stream over the whole ``body`` (each access a new one, from the start).
    public var bodyStream: RequestBodyStream { message.bodyStream ?? RequestBodyStream(complete: message.body) }
    /// The request id (from `X-Request-Id` when the client sent a sane one, else generated).
    public var id: String { context.requestID }
    /// A logger whose metadata carries the request id.
    public var logger: Logger { context.logger }

    /// The first value of a header, if present.
    public func header(_ name: String) -> String? { message.headers.first(name: name) }

    /// A user value attached to the request's context (for example by an interceptor).
    public subscript<Key: WorkContextKey>(_ key: Key.Type) -> Key.Value? {
        get { context[key] }
        set { context[key] = newValue }
    }
}
