import NIOHTTP1

/// The asynchronous part of a request did not finish within its timeout (Spring's
/// `AsyncRequestTimeoutException`). Rendered as `503` with a problem+json body.
public struct AsyncRequestTimeoutError: Error, Sendable, CustomStringConvertible {
    /// The timeout that passed.
    public let timeout: Duration
    /// The route, for logs.
    public let route: String?

    public var description: String { "asynchronous processing of \(route ?? "the request") timed out after \(timeout)" }
}

/// The client closed the connection before the response was written.
public struct ClientDisconnectedError: Error, Sendable, CustomStringConvertible {
    public var description: String { "the client disconnected before the response was written" }
}

extension HTTPResponseStatus {
    /// `499 Client Closed Request` (nginx's): never sent, what `afterCompletion` and the
    /// observers see for a request whose client left before it was answered.
    static let clientClosedRequest = HTTPResponseStatus(statusCode: 499, reasonPhrase: "Client Closed Request")
}
