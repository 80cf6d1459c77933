import BrigadeHTTP
import NIOHTTP1

/// Where a controller registers its routes and its own error handlers.
///
/// Templates are paths with `{name}` variables and an optional trailing `**`
/// (`/users/{id}`, `/files/**`). A handler may return `String` (text/plain), any
/// `Encodable` (application/json), ``Response``, ``ResponseEntity``, or nothing (204).
///
/// Every registration takes `body:` — how the route takes its request body:
/// ``RequestBodyMode/buffered`` (the default: whole, within `server.max-body-size`, before the
/// handler runs) or ``RequestBodyMode/stream(maxSize:)`` (the handler runs at once and reads
/// ``Request/bodyStream`` while the body arrives):
/// ```swift
/// routes.post("/upload", body: .stream(maxSize: 1 << 30)) { request in
///     var size = 0
///     while let chunk = try request.bodyStream.read() { size += chunk.readableBytes }
///     return "\(size) bytes"
/// }
/// ```
public final class Routes {
    private let prefix: String
    fileprivate var collected: [PendingRoute] = []
    fileprivate var errorHandlers = ErrorHandlers()
    private var children: [Routes] = []

    struct PendingRoute {
        let method: HTTPMethod
        let template: String
        var bodyMode: RequestBodyMode = .buffered
        let handler: Route.Handler
    }

    init(prefix: String = "") { self.prefix = prefix }

    /// Routes under a common path prefix. The group's own error handlers (``onError(_:_:)``
    /// on it) are checked first, then this controller's.
    /// - Parameter prefix: For example `/api/v1`.
    public func group(_ prefix: String) -> Routes {
        let child = Routes(prefix: join(self.prefix, prefix))
        children.append(child)
        return child
    }

    /// Registers a handler for `method` and `template`: it answers now (a ``ResponseGenerator``),
    /// later (``Callable``, ``WebAsyncTask``, ``DeferredResult``), or streams.
    public func on<R: HandlerResult>(_ method: HTTPMethod, _ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> R) {
        collected.append(PendingRoute(method: method, template: join(prefix, template), bodyMode: body) { request in try handler(request) })
    }

    /// Registers a handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func on<R: Encodable & Sendable>(_ method: HTTPMethod, _ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> R) {
        collected.append(PendingRoute(method: method, template: join(prefix, template), bodyMode: body) { request in JSONResponse(value: try handler(request)) })
    }

    /// Registers a handler that returns nothing: the answer is `204 No Content`.
    @_disfavoredOverload
    public func on(_ method: HTTPMethod, _ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> Void) {
        collected.append(PendingRoute(method: method, template: join(prefix, template), bodyMode: body) { request in
            try handler(request)
            return NoContent()
        })
    }

    /// Registers an `async` handler: it runs as a Swift task and holds no front thread while
    /// it awaits; its result is rendered on a front thread.
    public func on<R: ResponseGenerator>(_ method: HTTPMethod, _ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> R) {
        collected.append(PendingRoute(method: method, template: join(prefix, template), bodyMode: body) { request in
            AsyncHandlerResult(request: request) { try await handler($0) }
        })
    }

    /// Registers an `async` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func on<R: Encodable & Sendable>(_ method: HTTPMethod, _ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> R) {
        collected.append(PendingRoute(method: method, template: join(prefix, template), bodyMode: body) { request in
            AsyncHandlerResult(request: request) { JSONResponse(value: try await handler($0)) }
        })
    }

    /// Registers an `async` handler that returns nothing: `204 No Content`.
    @_disfavoredOverload
    public func on(_ method: HTTPMethod, _ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> Void) {
        collected.append(PendingRoute(method: method, template: join(prefix, template), bodyMode: body) { request in
            AsyncHandlerResult(request: request) { try await handler($0); return NoContent() }
        })
    }

    /// Registers a route whose handler's result is a stream made by `source`.
    func addStream(_ method: HTTPMethod, _ template: String, _ source: @escaping @Sendable (Request) -> any ResponseStreamSource) {
        collected.append(PendingRoute(method: method, template: join(prefix, template), bodyMode: .buffered) { request in
            SequenceStream(source: source(request))
        })
    }

    /// Handles errors of type `E` thrown by this controller's routes (`@ExceptionHandler`).
    /// Checked before the application-wide handlers.
    public func onError<E: Error, R: ResponseGenerator>(_ type: E.Type, _ handler: @escaping @Sendable (E, Request) throws -> R) {
        errorHandlers.add(type, handler)
    }

    /// Every route collected, with its error handlers attached: its group's own first, then
    /// those of the groups and the controller around it.
    func routes(inheriting inherited: ErrorHandlers = ErrorHandlers()) -> [Route] {
        let handlers = errorHandlers.followed(by: inherited)
        return collected.map {
            Route(method: $0.method, template: $0.template, variableNames: (try? RouteTrieBuilder.parse($0.template).variables) ?? [],
                  bodyMode: $0.bodyMode, handler: $0.handler, errorHandlers: handlers)
        } + children.flatMap { $0.routes(inheriting: handlers) }
    }

    private func join(_ prefix: String, _ path: String) -> String {
        if prefix.isEmpty { return path }
        let trimmed = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        return path.hasPrefix("/") ? trimmed + path : trimmed + "/" + path
    }
}
