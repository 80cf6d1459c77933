import BrigadeHTTP
import NIOHTTP1

/// Where one request's time went, tier by tier: what the `Server-Timing` header and the
/// access log report, and what the pool advisor learns from.
///
/// Every part is a sum over the request's life (a request that resumes on the front for
/// rendering waits for a front thread twice: both waits are in ``frontQueue``). The parts are
/// measured back to back on one monotonic clock, so they add up to ``total``.
public struct RequestTimings: Sendable, Hashable {
    /// Waiting for a front thread (`front-queue`).
    public var frontQueue: Duration = .zero
    /// Running on a front thread up to the handler's return: routing, interceptors, binding,
    /// the handler (`front`). For an asynchronous result, up to the moment its work was
    /// started (`afterConcurrentHandlingStarted`, the timeout armed, the callable submitted).
    public var front: Duration = .zero
    /// Waiting for a back thread (`back-queue`), for a `Callable` or `WebAsyncTask`.
    public var backQueue: Duration = .zero
    /// Running on a back thread (`back`).
    public var back: Duration = .zero
    /// Waiting for a `DeferredResult` or an `async` handler, holding no Brigade thread (`async`).
    public var asyncWait: Duration = .zero
    /// Rendering the result (or resolving the error), `postHandle`, and handing the response
    /// to the connection, on a front thread (`render`). For a request that timed out, the
    /// timeout callbacks too.
    public var render: Duration = .zero
    /// From the request's arrival to its response being handed to the connection (`total`).
    public var total: Duration = .zero

    /// Creates empty timings.
    public init() {}
}

/// One finished request, as observers see it.
public struct RequestRecord: Sendable {
    /// The request id (`X-Request-Id`).
    public var requestID: String
    /// The method.
    public var method: HTTPMethod
    /// The request target as sent.
    public var uri: String
    /// The matched route's template (`/books/{id}`), `nil` when no route matched.
    public var route: String?
    /// The response status code; 499 when the client left before the answer.
    public var status: Int
    /// Where the time went.
    public var timings: RequestTimings
    /// The peer's address (`ip:port`), when known.
    public var remoteAddress: String? = nil
    /// The request's HTTP version.
    public var version: HTTPVersion = .http1_1
    /// The size of the response body written, in bytes (0 for a client that left); for a
    /// stream, what it wrote before it ended.
    public var responseBodyBytes: Int = 0
    /// For a streamed response: how it ended, its parts and bytes, how long it lasted. Its
    /// ``timings`` count the stream's life as `async`.
    public var stream: StreamRecord? = nil
}

/// Told about every request once it is answered (or its client left). Called on the thread
/// that finished the request — usually a front thread; the event loop for the `503` the front
/// pool's saturation answers — so it must be quick and must not block.
///
/// Each observer is called exactly once per request, after the response was handed to the
/// connection and the interceptors' `afterCompletion` ran: for every status the framework
/// writes (errors, `404`, `405`, the automatic `OPTIONS`, the saturation `503`), and with
/// status `499` for a client that left while its request was asynchronous or waiting for a
/// front thread.
protocol RequestObserver: Sendable {
    func requestCompleted(_ record: RequestRecord)
}
