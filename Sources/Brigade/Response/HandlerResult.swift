/// Anything a handler may return. Its ``handlerStep`` says how the request goes on, so the
/// compiler — not a runtime cast — picks the path:
///
/// - a ``ResponseGenerator`` (`String`, ``Response``, ``ResponseEntity``, ``HTTPError``,
///   your own) is rendered on the front thread now;
/// - ``Callable``, ``WebAsyncTask`` and ``DeferredResult`` release the front thread and
///   resume the request when their result arrives;
/// - ``ResponseBodyEmitter``, ``SseEmitter`` and ``StreamingResponseBody`` start a
///   streamed response.
///
/// Conform your types through ``ResponseGenerator``; the other steps are the framework's.
public protocol HandlerResult: Sendable {
    /// How the request goes on after the handler returned this value.
    var handlerStep: HandlerStep { get }
}

/// How a request goes on after its handler returned: rendered now, resumed later, or
/// streamed. Opaque: made by the framework's return types.
public struct HandlerStep: Sendable {
    enum Kind: Sendable {
        /// Render on this front thread.
        case respond(any ResponseGenerator)
        /// Release the front thread; the source delivers the result later.
        case async(any AsyncResultSource)
        /// Release the front thread; the source commits the head and writes the body.
        case stream(any ResponseStreamSource)
    }

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }
}

extension ResponseGenerator {
    /// Rendered on the front thread, now.
    public var handlerStep: HandlerStep { HandlerStep(.respond(self)) }
}
