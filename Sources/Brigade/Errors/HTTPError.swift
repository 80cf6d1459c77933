import BrigadeHTTP
import NIOHTTP1

/// An error that answers with a given status and a problem+json body (RFC 9457).
///
/// Throw it from a handler, an interceptor or an error handler:
/// ```swift
/// guard let book = try repository.find(id) else { throw HTTPError(.notFound, "no book with id \(id)") }
/// ```
/// The `detail` is sent to the client: never put internals in it.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    /// One invalid input, reported in the body's `invalid-params` member.
    public struct InvalidParameter: Sendable, Hashable, Codable {
        /// The parameter or field (`isbn`, `page`, `author.name`).
        public var name: String
        /// Why it is invalid, for the client.
        public var reason: String
        /// Creates an entry.
        public init(name: String, reason: String) {
            self.name = name
            self.reason = reason
        }
    }

    /// The response status.
    public var status: HTTPResponseStatus
    /// A human-readable explanation for the client.
    public var detail: String?
    /// Extra response headers (`Retry-After`, `Allow`, …).
    public var headers: HTTPHeaders
    /// The offending inputs, for 400/422 answers.
    public var invalidParameters: [InvalidParameter]

    /// Creates an error.
    /// - Parameters:
    ///   - status: The response status.
    ///   - detail: An explanation for the client (sent as is).
    ///   - headers: Extra response headers.
    ///   - invalidParameters: The offending inputs, if any.
    public init(
        _ status: HTTPResponseStatus,
        _ detail: String? = nil,
        headers: HTTPHeaders = [:],
        invalidParameters: [InvalidParameter] = []
    ) {
        self.status = status
        self.detail = detail
        self.headers = headers
        self.invalidParameters = invalidParameters
    }

    public var description: String { "HTTPError(\(status.code)\(detail.map { ": \($0)" } ?? ""))" }
}

extension HTTPError: ResponseGenerator {
    /// The problem+json response for this error.
    public func response(for request: Request) throws -> Response {
        ProblemDetails(error: self, request: request).response()
    }
}
