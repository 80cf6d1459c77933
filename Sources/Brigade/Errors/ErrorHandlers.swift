import BrigadeExecutors
import BrigadeHTTP
import Foundation
import Logging

/// A chain of typed error handlers (Spring's `@ExceptionHandler` / `@ControllerAdvice`).
///
/// The first handler whose error type matches answers; if it throws, the thrown error is
/// resolved by the default rules instead.
struct ErrorHandlers: Sendable {
    typealias Handler = @Sendable (any Error, Request) throws -> Response?
    private(set) var handlers: [Handler] = []

    mutating func add<E: Error, R: ResponseGenerator>(_ type: E.Type, _ handler: @escaping @Sendable (E, Request) throws -> R) {
        handlers.append { error, request in
            guard let typed = error as? E else { return nil }
            return try handler(typed, request).response(for: request)
        }
    }

    var isEmpty: Bool { handlers.isEmpty }

    /// These handlers, then `outer`'s (a route group's, then its controller's).
    func followed(by outer: ErrorHandlers) -> ErrorHandlers {
        var chain = self
        chain.handlers += outer.handlers
        return chain
    }

    /// The first matching handler's response; `nil` when none matches.
    /// - Throws: What the matching handler threw.
    func resolve(_ error: any Error, request: Request) throws -> Response? {
        for handler in handlers {
            if let response = try handler(error, request) { return response }
        }
        return nil
    }
}

/// The default mapping of errors to responses, after the user's handlers.
enum DefaultErrorResolver {
    static func response(for error: any Error, request: Request) -> Response {
        switch error {
        case let error as HTTPError:
            return ProblemDetails(error: error, request: request).response()
        case let error as any SaturationError:
            request.logger.warning("saturated", metadata: ["resource": "\(error.saturatedResource)", "error": "\(error)"])
            return ProblemDetails(error: .serviceUnavailable(detail: "the server is busy; try again shortly"), request: request).response()
        case let error as RequestBodyError:
            request.logger.info("request body not read to its end", metadata: ["error": "\(error)", "route": "\(request.route ?? "-")"])
            return ProblemDetails(error: HTTPError(error.status, error.detail), request: request).response()
        case let error as AsyncRequestTimeoutError:
            request.logger.info("async request timed out", metadata: ["route": "\(request.route ?? "-")", "timeout": "\(error.timeout)"])
            return ProblemDetails(error: .serviceUnavailable(detail: "the request did not complete within \(error.timeout)"), request: request).response()
        default:
            request.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))", "route": "\(request.route ?? "-")"])
            let error = HTTPError(.internalServerError, "an unexpected error occurred; the server log has details under request id \(request.id)")
            return ProblemDetails(error: error, request: request).response()
        }
    }
}

extension HTTPError {
    /// 503 with `Retry-After`, as saturation answers.
    static func serviceUnavailable(detail: String, retryAfterSeconds: Int = 1) -> HTTPError {
        HTTPError(.serviceUnavailable, detail, headers: ["retry-after": String(retryAfterSeconds)])
    }
}
