import BrigadeExecutors
import BrigadeHTTP
import Logging
import NIOHTTP1

/// Handles one request on the calling front thread: routing, interceptors, the handler,
/// rendering, error resolution, writing, `afterCompletion`.
///
/// Immutable and shared by every front thread.
struct RequestPipeline: Sendable {
    let trie: RouteTrie
    let interceptors: [any Interceptor]
    let errorHandlers: ErrorHandlers
    let logger: Logger
    let requestIDs = RequestIDGenerator()

    /// Runs the whole request on the calling thread (a front thread) and writes its response.
    func handle(_ message: HTTPServerRequest, writer: HTTPResponseWriter) {
        let context = WorkContext(requestID: requestIDs.id(for: message.headers), logger: logger, cancellation: message.clientGone)
        var request = Request(message: message, context: context)
        var route: Route?
        var preHandled = 0
        var failure: (any Error)?
        var response: Response
        do {
            switch trie.match(method: message.method, path: message.path) {
            case .found(let found, let parameters):
                route = found
                request.route = found.template
                request.parameters = parameters
            case .methodNotAllowed(let allowed) where message.method == .OPTIONS:
                throw AutomaticOptions(allowed: allowed)
            case .methodNotAllowed(let allowed):
                throw HTTPError(
                    .methodNotAllowed, "\(message.method.rawValue) is not supported for \(message.path)",
                    headers: ["allow": allowed.joined(separator: ", ")])
            case .notFound:
                throw HTTPError(.notFound, "no resource at \(message.path)")
            case .badPath:
                throw HTTPError(.badRequest, "the path \(message.path) has a malformed percent-escape")
            }
            response = try WorkContext.$current.withValue(request.context) {
                try run(route: route!, request: &request, preHandled: &preHandled)
            }
        } catch let options as AutomaticOptions {
            response = Response(status: .noContent, headers: ["allow": options.allowed.joined(separator: ", ")])
        } catch {
            failure = error
            response = resolve(error, route: route, request: request)
        }
        response.headers.replaceOrAdd(name: "x-request-id", value: request.id)
        writer.write(response)
        if preHandled > 0 {
            WorkContext.$current.withValue(request.context) {
                for interceptor in interceptors[..<preHandled].reversed() {
                    interceptor.afterCompletion(request, response: response, error: failure)
                }
            }
        }
    }

    /// Interceptors' `preHandle`, the handler, rendering and `postHandle`.
    private func run(route: Route, request: inout Request, preHandled: inout Int) throws -> Response {
        for interceptor in interceptors {
            let decision = try interceptor.preHandle(&request)
            preHandled += 1
            if case .respond(let response) = decision { return response }
        }
        let request = request
        let result = try WorkContext.$current.withValue(request.context) { try route.handler(request) }
        var response = try result.response(for: request)
        for interceptor in interceptors[..<preHandled].reversed() {
            try interceptor.postHandle(request, response: &response)
        }
        return response
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
