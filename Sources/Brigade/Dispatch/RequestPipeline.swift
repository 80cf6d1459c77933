import BrigadeExecutors
import BrigadeHTTP
import Logging
import NIOHTTP1

/// Handles one request on front threads: routing, interceptors, the handler, rendering,
/// error resolution, writing, `afterCompletion` — and, when the handler returns an
/// asynchronous result, parks the request in an ``AsyncExchange`` that resumes it later at
/// the rendering step.
///
/// It times every request tier by tier (``RequestStopwatch``), adds the `Server-Timing`
/// header to what it writes, and tells the observers about every request it answers.
///
/// Immutable and shared by every front thread.
struct RequestPipeline: Sendable {
    let trie: RouteTrie
    let interceptors: [any Interceptor]
    let errorHandlers: ErrorHandlers
    let logger: Logger
    let runtime: AsyncRuntime
    /// `server.server-timing`.
    let serverTiming: Bool
    /// Told about every request once it is answered, in order.
    let observers: [any RequestObserver]
    let requestIDs = RequestIDGenerator()

    /// What the handler step produced.
    private enum Step {
        case response(Response)
        case shortCircuit(Response)
        case async(any AsyncResultSource)
    }

    /// Runs the request on the calling thread (a front thread) up to its response, or up to
    /// the moment it goes asynchronous.
    func handle(_ message: HTTPServerRequest, writer: HTTPResponseWriter) {
        var stopwatch = RequestStopwatch(receivedAt: message.receivedAt)
        stopwatch.lap(.frontQueue)
        let context = WorkContext(requestID: requestIDs.id(for: message.headers), logger: logger, cancellation: message.cancellation)
        var request = Request(message: message, context: context)
        var route: Route?
        var preHandled = 0
        let step: Step
        do {
            let found = try self.route(&request)
            route = found
            step = try WorkContext.$current.withValue(request.context) {
                try run(found, request: &request, preHandled: &preHandled, stopwatch: &stopwatch)
            }
        } catch let options as AutomaticOptions {
            stopwatch.endFront()
            let response = write(
                Response(status: .noContent, headers: ["allow": options.allowed.joined(separator: ", ")]),
                for: request, stopwatch: &stopwatch, writer: writer)
            notify(request, response: response, stopwatch: stopwatch)
            return
        } catch {
            stopwatch.endFront()
            finish(request, route: route, preHandled: preHandled, response: resolve(error, route: route, request: request), error: error, writer: writer, stopwatch: stopwatch)
            return
        }
        switch step {
        case .shortCircuit(let response):
            finish(request, route: route, preHandled: preHandled, response: response, error: nil, writer: writer, stopwatch: stopwatch)
        case .response(var response):
            complete(request, route: route, preHandled: preHandled, writer: writer, stopwatch: stopwatch) {
                try postHandle(request, response: &response, preHandled: preHandled)
                return response
            }
        case .async(let source):
            goAsync(request, route: route, preHandled: preHandled, source: source, writer: writer, stopwatch: stopwatch)
        }
    }

    /// Matches the request to a route and binds its path variables.
    private func route(_ request: inout Request) throws -> Route {
        switch trie.match(method: request.method, path: request.path) {
        case .found(let found, let parameters):
            request.route = found.template
            request.parameters = parameters
            // Reported by every thread that runs a part of the request (starvation reports).
            request.context.activity = found.label
            ThreadPool.labelCurrentTask(found.label)
            return found
        case .methodNotAllowed(let allowed) where request.method == .OPTIONS:
            throw AutomaticOptions(allowed: allowed)
        case .methodNotAllowed(let allowed):
            throw HTTPError(
                .methodNotAllowed, "\(request.method.rawValue) is not supported for \(request.path)",
                headers: ["allow": allowed.joined(separator: ", ")])
        case .notFound:
            throw HTTPError(.notFound, "no resource at \(request.path)")
        case .badPath:
            throw HTTPError(.badRequest, "the path \(request.path) has a malformed percent-escape")
        }
    }

    /// Interceptors' `preHandle`, then the handler; renders a synchronous result. Ends the
    /// front part when the handler returned a synchronous result or an interceptor answered.
    private func run(_ route: Route, request: inout Request, preHandled: inout Int, stopwatch: inout RequestStopwatch) throws -> Step {
        for interceptor in interceptors {
            let decision = try interceptor.preHandle(&request)
            preHandled += 1
            if case .respond(let response) = decision {
                stopwatch.endFront()
                return .shortCircuit(response)
            }
        }
        let request = request
        let result = try WorkContext.$current.withValue(request.context) { try route.handler(request) }
        // An asynchronous result's front part lasts until its work starts (AsyncExchange.begin).
        if let source = result as? any AsyncResultSource { return .async(source) }
        stopwatch.endFront()
        return .response(try result.response(for: request))
    }

    private func goAsync(_ request: Request, route: Route?, preHandled: Int, source: any AsyncResultSource, writer: HTTPResponseWriter, stopwatch: RequestStopwatch) {
        guard let route else {
            // Unreachable (a handler ran, so a route matched), but never leave a request unanswered.
            let error = HTTPError(.internalServerError, "an asynchronous result without a route")
            var stopwatch = stopwatch
            stopwatch.endFront()
            finish(request, route: nil, preHandled: preHandled, response: resolve(error, route: nil, request: request), error: error, writer: writer, stopwatch: stopwatch)
            return
        }
        var request = request
        let timeout = source.timeout ?? runtime.defaultTimeout
        request.context.deadline = .now + timeout
        let exchange = AsyncExchange(
            request: request, route: route, preHandled: preHandled, writer: writer, pipeline: self, source: source, timeout: timeout,
            stopwatch: stopwatch)
        WorkContext.$current.withValue(request.context) {
            for interceptor in interceptors[..<preHandled] { interceptor.afterConcurrentHandlingStarted(request) }
            exchange.begin()
        }
    }

    /// The return-value step for an asynchronous outcome: render, `postHandle`, write,
    /// `afterCompletion`, the observers. On a front thread.
    func complete(
        _ request: Request, route: Route, preHandled: Int, outcome: AsyncOutcome, writer: HTTPResponseWriter,
        stopwatch: RequestStopwatch, whenWritten: () -> Void
    ) {
        WorkContext.$current.withValue(request.context) {
            complete(request, route: route, preHandled: preHandled, writer: writer, stopwatch: stopwatch, whenWritten: whenWritten) {
                switch outcome {
                case .value(let value):
                    var response = try ValueRenderer.render(value, for: request)
                    try postHandle(request, response: &response, preHandled: preHandled)
                    return response
                case .error(let error):
                    throw error
                }
            }
        }
    }

    /// Produces the response with `render`, resolving a thrown error, then finishes.
    private func complete(
        _ request: Request, route: Route?, preHandled: Int, writer: HTTPResponseWriter, stopwatch: RequestStopwatch,
        whenWritten: () -> Void = {}, render: () throws -> Response
    ) {
        let response: Response
        var failure: (any Error)?
        do {
            response = try render()
        } catch {
            failure = error
            response = resolve(error, route: route, request: request)
        }
        finish(request, route: route, preHandled: preHandled, response: response, error: failure, writer: writer, stopwatch: stopwatch, whenWritten: whenWritten)
    }

    private func postHandle(_ request: Request, response: inout Response, preHandled: Int) throws {
        for interceptor in interceptors[..<preHandled].reversed() {
            try interceptor.postHandle(request, response: &response)
        }
    }

    /// Writes the response, then runs `afterCompletion`, then tells the observers.
    private func finish(
        _ request: Request, route: Route?, preHandled: Int, response: Response, error: (any Error)?, writer: HTTPResponseWriter,
        stopwatch: RequestStopwatch, whenWritten: () -> Void = {}
    ) {
        var stopwatch = stopwatch
        let written = write(response, for: request, stopwatch: &stopwatch, writer: writer)
        whenWritten()
        afterCompletion(request, preHandled: preHandled, response: written, error: error)
        notify(request, response: written, stopwatch: stopwatch)
    }

    /// Ends the render part (and the total), then hands the response to the connection.
    private func write(_ response: Response, for request: Request, stopwatch: inout RequestStopwatch, writer: HTTPResponseWriter) -> Response {
        stopwatch.lap(.render)
        return send(response, for: request, stopwatch: stopwatch, writer: writer)
    }

    /// Hands the response to the connection with its `X-Request-Id` and, unless switched off,
    /// `Server-Timing` as `stopwatch` stands.
    private func send(_ response: Response, for request: Request, stopwatch: RequestStopwatch, writer: HTTPResponseWriter) -> Response {
        var response = response
        response.headers.replaceOrAdd(name: "x-request-id", value: request.id)
        if serverTiming { response.headers.add(name: ServerTiming.headerName, value: stopwatch.serverTiming) }
        writer.write(response)
        return response
    }

    /// Tells every observer that `request` was answered with `response` (or, for status 499,
    /// that its client left).
    func notify(_ request: Request, response: Response, stopwatch: RequestStopwatch) {
        guard !observers.isEmpty else { return }
        let record = RequestRecord(
            requestID: request.id, method: request.method, uri: request.uri, route: request.route,
            status: Int(response.status.code), timings: stopwatch.timings, remoteAddress: request.message.remoteAddress,
            version: request.message.version, responseBodyBytes: request.method == .HEAD ? 0 : response.body.readableBytes)
        for observer in observers { observer.requestCompleted(record) }
    }

    /// Answers a request the front pool refused (saturated, or shutting down) with `response`,
    /// on the calling thread — the event loop: no user code, just the headers and the
    /// observers. Its whole time, waiting to be refused, counts as `front-queue`.
    func refuse(_ message: HTTPServerRequest, with response: Response, writer: HTTPResponseWriter) {
        let request = Request(message: message, context: WorkContext(requestID: requestIDs.id(for: message.headers), logger: logger))
        var stopwatch = RequestStopwatch(receivedAt: message.receivedAt)
        stopwatch.lap(.frontQueue)
        let written = send(response, for: request, stopwatch: stopwatch, writer: writer)
        notify(request, response: written, stopwatch: stopwatch)
    }

    /// A request whose client left while it waited for a front thread: it is dropped unrun and
    /// unanswered, and the observers see it as a `499` without a route.
    func abandonInQueue(_ message: HTTPServerRequest) {
        guard !observers.isEmpty else { return }
        var stopwatch = RequestStopwatch(receivedAt: message.receivedAt)
        stopwatch.lap(.frontQueue)
        let request = Request(message: message, context: WorkContext(requestID: requestIDs.id(for: message.headers), logger: logger))
        notify(request, response: Response(status: .clientClosedRequest), stopwatch: stopwatch)
    }

    /// Every interceptor whose `preHandle` ran, in reverse order, exactly once per request.
    func afterCompletion(_ request: Request, preHandled: Int, response: Response, error: (any Error)?) {
        guard preHandled > 0 else { return }
        WorkContext.$current.withValue(request.context) {
            for interceptor in interceptors[..<preHandled].reversed() {
                interceptor.afterCompletion(request, response: response, error: error)
            }
        }
    }

    /// The controller's handlers, then the application's, then the defaults.
    func resolve(_ error: any Error, route: Route?, request: Request) -> Response {
        do {
            if let response = try route?.errorHandlers.resolve(error, request: request) { return response }
            if let response = try errorHandlers.resolve(error, request: request) { return response }
        } catch let handlerError {
            return DefaultErrorResolver.response(for: handlerError, request: request)
        }
        return DefaultErrorResolver.response(for: error, request: request)
    }

    /// An `OPTIONS` request for a path without its own `OPTIONS` handler.
    private struct AutomaticOptions: Error { let allowed: [String] }
}
