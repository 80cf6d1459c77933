import BrigadeHTTP
import NIOHTTP1

/// A registered route: method, template, handler and the error handlers of its controller.
///
/// A class: made once at start-up and shared by every request that matches it (a request
/// holds one reference, not a copy of its fields).
final class Route: Sendable {
    /// Runs the handler on the calling (front) thread and returns what it produced.
    typealias Handler = @Sendable (Request) throws -> any HandlerResult

    let method: HTTPMethod
    let template: String
    /// The names of the template's variables, in path order (`**` for a catch-all).
    let variableNames: [String]
    /// How it takes its request body (buffered, or streamed to the handler).
    let bodyMode: RequestBodyMode
    let handler: Handler
    let errorHandlers: ErrorHandlers
    /// `GET /users/{id}`: what the threads running it report (``WorkContext/activity``).
    let label: String

    init(
        method: HTTPMethod, template: String, variableNames: [String], bodyMode: RequestBodyMode = .buffered,
        handler: @escaping Handler, errorHandlers: ErrorHandlers
    ) {
        self.method = method
        self.bodyMode = bodyMode
        self.template = template
        self.variableNames = variableNames
        self.handler = handler
        self.errorHandlers = errorHandlers
        self.label = "\(method.rawValue) \(template)"
    }
}
