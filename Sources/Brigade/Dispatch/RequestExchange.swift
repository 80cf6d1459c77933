import BrigadeExecutors
import BrigadeHTTP
import NIOHTTP1

/// One request on its way through the tiers: the request, the route it matched, the
/// interceptors whose `preHandle` ran, the connection's writer and the stopwatch.
///
/// Owned by whoever works on the request now: the ``RequestPipeline`` on the front thread that
/// runs the handler, then — for an asynchronous result or a stream — the ``AsyncExchange`` or
/// ``StreamExchange`` that parks it, which hands it to the front thread that finishes it.
/// Rendering, writing, `afterCompletion` and the observers are its methods.
///
/// A class, so that handing it from owner to owner moves one reference rather than copying
/// (and retaining) each of its fields.
final class RequestExchange: @unchecked Sendable {
    // @unchecked Sendable: one owner at a time, as above. Each hand-off goes through a lock
    // (the parking exchange's) or a pool's queue, which orders one owner's writes before the
    // next owner's reads; no two threads use it at once.
    var request: Request
    /// The matched route; `nil` before routing, or when none matched.
    var route: Route?
    /// How many interceptors' `preHandle` ran: exactly those get `postHandle` and
    /// `afterCompletion`.
    var preHandled = 0
    let writer: HTTPResponseWriter
    var stopwatch: RequestStopwatch
    let services: ExchangeServices

    init(message: HTTPServerRequest, requestID: String, writer: HTTPResponseWriter, services: ExchangeServices) {
        self.request = Request(
            message: message,
            context: WorkContext(requestID: requestID, logger: services.logger, cancellation: message.cancellation))
        self.writer = writer
        self.stopwatch = RequestStopwatch(receivedAt: message.receivedAt)
        self.services = services
    }

    /// The interceptors whose `preHandle` ran, in registration order.
    var interceptorsThatRan: ArraySlice<any Interceptor> { services.interceptors[..<preHandled] }

    // MARK: before the handler

    /// Every interceptor's `preHandle`, in order.
    /// - Returns: The answer of an interceptor that responded at once, if one did.
    func preHandle() throws -> Response? {
        for interceptor in services.interceptors {
            let decision = try interceptor.preHandle(&request)
            preHandled += 1
            if case .respond(let response) = decision { return response }
        }
        return nil
    }

    // MARK: answering

    /// The return-value step: renders `generator`, runs `postHandle`, and finishes; an error
    /// on the way is resolved instead. On a front thread, with the request's context bound.
    func respond(with generator: any ResponseGenerator, afterWrite: () -> Void = {}) {
        let response: Response
        do {
            var rendered = try generator.response(for: request)
            for interceptor in interceptorsThatRan.reversed() { try interceptor.postHandle(request, response: &rendered) }
            response = rendered
        } catch {
            return fail(error, afterWrite: afterWrite)
        }
        finish(response, error: nil, afterWrite: afterWrite)
    }

    /// Answers with what the error handlers make of `error`, then finishes.
    func fail(_ error: any Error, afterWrite: () -> Void = {}) {
        finish(resolve(error), error: error, afterWrite: afterWrite)
    }

    /// Ends the render lap, writes `response`, then runs `afterWrite`, `afterCompletion` and
    /// the observers.
    func finish(_ response: Response, error: (any Error)?, afterWrite: () -> Void = {}) {
        stopwatch.lap(.render)
        let written = send(response)
        afterWrite()
        afterCompletion(response: written, error: error)
        notify(response: written)
    }

    /// Hands `response` to the connection with `X-Request-Id` and, unless switched off,
    /// `Server-Timing` as the stopwatch stands.
    @discardableResult
    func send(_ response: Response) -> Response {
        var response = response
        response.headers.replaceOrAdd(name: "x-request-id", value: request.id)
        if services.serverTiming { response.headers.add(name: ServerTiming.headerName, value: stopwatch.serverTiming) }
        writer.write(response)
        return response
    }

    /// Hands a streamed response's head to the connection, with `X-Request-Id` and, unless
    /// switched off, `Server-Timing` up to now (a stream cannot carry the rest: trailers reach
    /// few clients), and returns the stream for its body; `nil` if a response was written.
    func commitStream(_ head: Response, capacity: Int) -> HTTPBodyStream? {
        var head = head
        head.headers.replaceOrAdd(name: "x-request-id", value: request.id)
        if services.serverTiming { head.headers.add(name: ServerTiming.headerName, value: stopwatch.serverTiming) }
        return writer.stream(head, capacity: capacity)
    }

    /// A streamed response ended: `afterCompletion` with its head (and the error that ended
    /// it, if one did), then the observers with its record.
    func finishStream(head: Response, record: StreamRecord, error: (any Error)?) {
        afterCompletion(response: head, error: error)
        notify(response: head, stream: record)
    }

    /// The controller's error handlers, then the application's, then the defaults.
    func resolve(_ error: any Error) -> Response {
        do {
            if let response = try route?.errorHandlers.resolve(error, request: request) { return response }
            if let response = try services.errorHandlers.resolve(error, request: request) { return response }
        } catch let handlerError {
            return DefaultErrorResolver.response(for: handlerError, request: request)
        }
        return DefaultErrorResolver.response(for: error, request: request)
    }

    // MARK: after the answer

    /// Every interceptor whose `preHandle` ran, in reverse order; exactly once per request.
    func afterCompletion(response: Response, error: (any Error)?) {
        for interceptor in interceptorsThatRan.reversed() {
            interceptor.afterCompletion(request, response: response, error: error)
        }
    }

    /// Tells every observer that the request was answered with `response` (or, for status
    /// 499, that its client left).
    func notify(response: Response, stream: StreamRecord? = nil) {
        guard !services.observers.isEmpty else { return }
        let bodyBytes = request.method == .HEAD ? 0 : stream?.bytes ?? response.body.readableBytes
        let record = RequestRecord(
            requestID: request.id, method: request.method, uri: request.uri, route: request.route,
            status: Int(response.status.code), timings: stopwatch.timings, remoteAddress: request.message.remoteAddress,
            version: request.message.version, responseBodyBytes: bodyBytes, stream: stream)
        for observer in services.observers { observer.requestCompleted(record) }
    }

    /// The client left before the answer: `afterCompletion` with 499 and the departure, and
    /// the observers see 499. Nothing is written.
    func abandon() {
        let response = Response(status: .clientClosedRequest)
        afterCompletion(response: response, error: ClientDisconnectedError())
        notify(response: response)
    }
}
