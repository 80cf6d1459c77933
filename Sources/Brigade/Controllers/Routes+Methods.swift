import BrigadeHTTP
import NIOHTTP1

// Shorthands for `Routes.on(_:_:_:)`, one per method; each has the three forms (a
// ResponseGenerator, any Encodable as JSON, Void as 204), synchronous and `async`.
extension Routes {
    /// Registers a `GET` handler; see ``Routes``.
    public func get<R: HandlerResult>(_ template: String, _ handler: @escaping @Sendable (Request) throws -> R) { on(.GET, template, handler) }
    /// Registers a `GET` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func get<R: Encodable & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) throws -> R) { on(.GET, template, handler) }
    /// Registers a `GET` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func get(_ template: String, _ handler: @escaping @Sendable (Request) throws -> Void) { on(.GET, template, handler) }

    /// Registers an `async` `GET` handler; see ``Routes``.
    public func get<R: ResponseGenerator>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.GET, template, handler) }
    /// Registers an `async` `GET` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func get<R: Encodable & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.GET, template, handler) }
    /// Registers an `async` `GET` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func get(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> Void) { on(.GET, template, handler) }

    /// Registers a `POST` handler; see ``Routes``.
    public func post<R: HandlerResult>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> R) { on(.POST, template, body: body, handler) }
    /// Registers a `POST` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func post<R: Encodable & Sendable>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> R) { on(.POST, template, body: body, handler) }
    /// Registers a `POST` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func post(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> Void) { on(.POST, template, body: body, handler) }

    /// Registers an `async` `POST` handler; see ``Routes``.
    public func post<R: ResponseGenerator>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.POST, template, body: body, handler) }
    /// Registers an `async` `POST` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func post<R: Encodable & Sendable>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.POST, template, body: body, handler) }
    /// Registers an `async` `POST` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func post(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> Void) { on(.POST, template, body: body, handler) }

    /// Registers a `PUT` handler; see ``Routes``.
    public func put<R: HandlerResult>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> R) { on(.PUT, template, body: body, handler) }
    /// Registers a `PUT` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func put<R: Encodable & Sendable>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> R) { on(.PUT, template, body: body, handler) }
    /// Registers a `PUT` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func put(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> Void) { on(.PUT, template, body: body, handler) }

    /// Registers an `async` `PUT` handler; see ``Routes``.
    public func put<R: ResponseGenerator>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.PUT, template, body: body, handler) }
    /// Registers an `async` `PUT` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func put<R: Encodable & Sendable>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.PUT, template, body: body, handler) }
    /// Registers an `async` `PUT` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func put(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> Void) { on(.PUT, template, body: body, handler) }

    /// Registers a `PATCH` handler; see ``Routes``.
    public func patch<R: HandlerResult>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> R) { on(.PATCH, template, body: body, handler) }
    /// Registers a `PATCH` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func patch<R: Encodable & Sendable>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> R) { on(.PATCH, template, body: body, handler) }
    /// Registers a `PATCH` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func patch(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) throws -> Void) { on(.PATCH, template, body: body, handler) }

    /// Registers an `async` `PATCH` handler; see ``Routes``.
    public func patch<R: ResponseGenerator>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.PATCH, template, body: body, handler) }
    /// Registers an `async` `PATCH` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func patch<R: Encodable & Sendable>(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.PATCH, template, body: body, handler) }
    /// Registers an `async` `PATCH` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func patch(_ template: String, body: RequestBodyMode = .buffered, _ handler: @escaping @Sendable (Request) async throws -> Void) { on(.PATCH, template, body: body, handler) }

    /// Registers a `DELETE` handler; see ``Routes``.
    public func delete<R: HandlerResult>(_ template: String, _ handler: @escaping @Sendable (Request) throws -> R) { on(.DELETE, template, handler) }
    /// Registers a `DELETE` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func delete<R: Encodable & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) throws -> R) { on(.DELETE, template, handler) }
    /// Registers a `DELETE` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func delete(_ template: String, _ handler: @escaping @Sendable (Request) throws -> Void) { on(.DELETE, template, handler) }

    /// Registers an `async` `DELETE` handler; see ``Routes``.
    public func delete<R: ResponseGenerator>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.DELETE, template, handler) }
    /// Registers an `async` `DELETE` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func delete<R: Encodable & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.DELETE, template, handler) }
    /// Registers an `async` `DELETE` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func delete(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> Void) { on(.DELETE, template, handler) }

    /// Registers a `OPTIONS` handler; see ``Routes``.
    public func options<R: HandlerResult>(_ template: String, _ handler: @escaping @Sendable (Request) throws -> R) { on(.OPTIONS, template, handler) }
    /// Registers a `OPTIONS` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func options<R: Encodable & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) throws -> R) { on(.OPTIONS, template, handler) }
    /// Registers a `OPTIONS` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func options(_ template: String, _ handler: @escaping @Sendable (Request) throws -> Void) { on(.OPTIONS, template, handler) }

    /// Registers an `async` `OPTIONS` handler; see ``Routes``.
    public func options<R: ResponseGenerator>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.OPTIONS, template, handler) }
    /// Registers an `async` `OPTIONS` handler whose `Encodable` result is sent as JSON.
    @_disfavoredOverload
    public func options<R: Encodable & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> R) { on(.OPTIONS, template, handler) }
    /// Registers an `async` `OPTIONS` handler that answers `204 No Content`.
    @_disfavoredOverload
    public func options(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> Void) { on(.OPTIONS, template, handler) }

    /// Registers an `async` `GET` handler whose `AsyncSequence` is streamed (see ``StreamElement``).
    public func get<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: StreamElement { on(.GET, template, handler) }
    /// Registers an `async` `GET` handler whose `AsyncSequence` of `Encodable` values is streamed as JSON lines.
    @_disfavoredOverload
    public func get<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: Encodable & Sendable { on(.GET, template, handler) }

    /// Registers an `async` `POST` handler whose `AsyncSequence` is streamed (see ``StreamElement``).
    public func post<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: StreamElement { on(.POST, template, handler) }
    /// Registers an `async` `POST` handler whose `AsyncSequence` of `Encodable` values is streamed as JSON lines.
    @_disfavoredOverload
    public func post<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: Encodable & Sendable { on(.POST, template, handler) }

    /// Registers an `async` `PUT` handler whose `AsyncSequence` is streamed (see ``StreamElement``).
    public func put<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: StreamElement { on(.PUT, template, handler) }
    /// Registers an `async` `PUT` handler whose `AsyncSequence` of `Encodable` values is streamed as JSON lines.
    @_disfavoredOverload
    public func put<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: Encodable & Sendable { on(.PUT, template, handler) }

    /// Registers an `async` `PATCH` handler whose `AsyncSequence` is streamed (see ``StreamElement``).
    public func patch<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: StreamElement { on(.PATCH, template, handler) }
    /// Registers an `async` `PATCH` handler whose `AsyncSequence` of `Encodable` values is streamed as JSON lines.
    @_disfavoredOverload
    public func patch<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: Encodable & Sendable { on(.PATCH, template, handler) }

    /// Registers an `async` `DELETE` handler whose `AsyncSequence` is streamed (see ``StreamElement``).
    public func delete<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: StreamElement { on(.DELETE, template, handler) }
    /// Registers an `async` `DELETE` handler whose `AsyncSequence` of `Encodable` values is streamed as JSON lines.
    @_disfavoredOverload
    public func delete<S: AsyncSequence & Sendable>(_ template: String, _ handler: @escaping @Sendable (Request) async throws -> S) where S.Element: Encodable & Sendable { on(.DELETE, template, handler) }
}
