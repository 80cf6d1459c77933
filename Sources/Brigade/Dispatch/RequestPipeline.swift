import BrigadeExecutors
import BrigadeHTTP
import Logging
import NIOHTTP1

/// The responder the connector calls: takes each request from its event loop to a front
/// thread and runs it there — routing, interceptors, the handler — up to its answer, or up
/// to the moment it goes asynchronous.
///
/// The path, for every request:
/// 1. ``respond(to:writer:)`` (event loop): the front pool takes it, or it is refused at once
///    with `503` and `Retry-After` (saturated, shutting down);
/// 2. ``handle(_:writer:)`` (front thread, the request's ``WorkContext`` bound for the whole
///    stretch): a ``RequestExchange`` is made, routed, pre-handled, and the handler runs;
/// 3. what the handler returned says, through ``HandlerResult/handlerStep``, how it goes on:
///    rendered and written now (``RequestExchange/respond(with:afterWrite:)``), or parked in
///    an ``AsyncExchange`` that resumes it on a front thread when its result comes.
final class RequestPipeline: HTTPResponder, Sendable {
    let services: ExchangeServices
    let trie: RouteTrie
    let requestIDs = RequestIDGenerator()

    init(trie: RouteTrie, services: ExchangeServices) {
        self.trie = trie
        self.services = services
    }

    // MARK: on the event loop

    func respond(to message: HTTPServerRequest, writer: HTTPResponseWriter) {
        do {
            try services.front.execute { [self] in
                // A client that left while its request waited for a front thread gets nothing:
                // don't spend a front thread on it (an overload's backlog clears at once).
                guard !message.cancellation.isCancelled else { return abandonInQueue(message, writer: writer) }
                handle(message, writer: writer)
            }
        } catch {
            // On the event loop: no user code, just the canned refusal.
            refuse(message, error: error, writer: writer)
        }
    }

    /// The matched route's body mode (a trie lookup, no allocation for static paths); called
    /// by the connector for heads that announce a body.
    func bodyMode(for head: HTTPRequestHead) -> RequestBodyMode {
        let uri = head.uri[...]
        let path = uri.firstIndex(of: "?").map { uri[..<$0] } ?? uri
        if case .found(let route, _) = trie.match(method: head.method, path: path) { return route.bodyMode }
        return .buffered
    }

    /// Answers a request the front pool refused (saturated, or shutting down) with `503` and
    /// `Retry-After`, on the event loop: no user code, just the headers and the observers.
    /// Its whole time, waiting to be refused, counts as `front-queue`.
    private func refuse(_ message: HTTPServerRequest, error: RejectedExecutionError, writer: HTTPResponseWriter) {
        let exchange = RequestExchange(message: message, requestID: requestIDs.id(for: message.headers), writer: writer, services: services)
        exchange.stopwatch.lap(.frontQueue)
        let detail = error.reason == .shutdown ? "the server is shutting down" : "every front thread is busy and the accept queue is full; try again shortly"
        let written = exchange.send(ProblemDetails(error: .serviceUnavailable(detail: detail), request: nil).response())
        exchange.notify(response: written)
    }

    /// A request whose client left while it waited for a front thread: dropped unrun and
    /// unanswered; the observers see a `499` without a route.
    private func abandonInQueue(_ message: HTTPServerRequest, writer: HTTPResponseWriter) {
        guard !services.observers.isEmpty else { return }
        let exchange = RequestExchange(message: message, requestID: requestIDs.id(for: message.headers), writer: writer, services: services)
        exchange.stopwatch.lap(.frontQueue)
        exchange.notify(response: Response(status: .clientClosedRequest))
    }

    // MARK: on a front thread

    /// Runs the request on the calling front thread up to its answer, or up to the moment it
    /// goes asynchronous.
    func handle(_ message: HTTPServerRequest, writer: HTTPResponseWriter) {
        let exchange = RequestExchange(message: message, requestID: requestIDs.id(for: message.headers), writer: writer, services: services)
        exchange.stopwatch.lap(.frontQueue)
        WorkContext.$current.withValue(exchange.request.context) {
            run(exchange)
        }
    }

    /// Routing and the interceptors' `preHandle`, then the handler.
    private func run(_ exchange: RequestExchange) {
        let route: Route
        do {
            route = try self.route(&exchange.request)
            exchange.route = route
            if let answer = try exchange.preHandle() {
                exchange.stopwatch.endFront()
                return exchange.finish(answer, error: nil)
            }
        } catch let options as AutomaticOptions {
            exchange.stopwatch.endFront()
            return exchange.finish(Response(status: .noContent, headers: ["allow": options.allowed.joined(separator: ", ")]), error: nil)
        } catch {
            exchange.stopwatch.endFront()
            return exchange.fail(error)
        }
        if services.interceptors.isEmpty {
            invoke(route, exchange)
        } else {
            // Interceptors may have attached values to the context: the handler, and all that
            // follows it on this thread (postHandle, error handlers, rendering), see them.
            WorkContext.$current.withValue(exchange.request.context) { invoke(route, exchange) }
        }
    }

    /// The handler, and the step its result says: render now, or go asynchronous.
    private func invoke(_ route: Route, _ exchange: RequestExchange) {
        let step: HandlerStep
        do {
            step = try route.handler(exchange.request).handlerStep
        } catch {
            exchange.stopwatch.endFront()
            return exchange.fail(error)
        }
        switch step.kind {
        case .respond(let generator):
            exchange.stopwatch.endFront()
            exchange.respond(with: generator)
        case .async(let source):
            AsyncExchange.begin(exchange, source: source)
        case .stream(let source):
            StreamExchange.begin(exchange, source: source)
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

    /// An `OPTIONS` request for a path without its own `OPTIONS` handler.
    private struct AutomaticOptions: Error { let allowed: [String] }
}
