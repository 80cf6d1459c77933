import BrigadeHTTP

/// What ``Interceptor/preHandle(_:)`` decided.
public enum InterceptorDecision: Sendable {
    /// Go on to the next interceptor and the handler.
    case proceed
    /// Answer with this response; the handler does not run.
    case respond(Response)
}

/// Code around every handler (Spring's `HandlerInterceptor`): authentication, logging,
/// headers.
///
/// For each request, on a front thread: every `preHandle` in registration order, then the
/// handler, then every `postHandle` in reverse order, then the response is written, then
/// `afterCompletion` in reverse order — for exactly the interceptors whose `preHandle` ran,
/// exactly once, whatever happened (an error, a short-circuit).
public protocol Interceptor: Sendable {
    /// Runs before the handler. May attach values to `request.context` (they travel to every
    /// thread that works on the request) or answer at once with `.respond`.
    /// - Throws: An error answers the request like a handler's error.
    func preHandle(_ request: inout Request) throws -> InterceptorDecision

    /// Runs after the handler produced a response, before it is written; may change it.
    /// Not called when the handler threw or an interceptor short-circuited.
    func postHandle(_ request: Request, response: inout Response) throws

    /// Runs once the response was handed to the connection, whatever the outcome.
    /// - Parameters:
    ///   - response: What was sent.
    ///   - error: The error that produced it, if any.
    func afterCompletion(_ request: Request, response: Response, error: (any Error)?)

    /// Runs on the front thread when the handler returned an asynchronous result
    /// (`Callable`, `WebAsyncTask`, `DeferredResult`, an `async` handler) and the thread is
    /// about to be released. `postHandle` and `afterCompletion` run later, when the result
    /// is rendered — on another front thread.
    func afterConcurrentHandlingStarted(_ request: Request)
}

extension Interceptor {
    /// Proceeds.
    public func preHandle(_ request: inout Request) throws -> InterceptorDecision { .proceed }
    /// Does nothing.
    public func postHandle(_ request: Request, response: inout Response) throws {}
    /// Does nothing.
    public func afterCompletion(_ request: Request, response: Response, error: (any Error)?) {}
    /// Does nothing.
    public func afterConcurrentHandlingStarted(_ request: Request) {}
}
