import NIOHTTP1

/// Why a streamed request body could not be read to its end; thrown by ``RequestBodyStream``'s
/// readers.
///
/// Each knows the answer it calls for (``status``): the framework renders it as problem+json
/// when a handler lets it escape.
public struct RequestBodyError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case tooLarge
        case timedOut
        case clientGone
        case abandoned
        case onEventLoop
    }

    private let code: Code
    /// What happened, for the client (no internals).
    public let detail: String

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The body passed the route's limit (`413`).
    public static func tooLarge(limit: Int) -> RequestBodyError {
        RequestBodyError(.tooLarge, "request body exceeds the limit of \(limit) bytes")
    }

    /// The client stopped sending (or sent too slowly) while the server was reading (`408`).
    public static func timedOut(_ detail: String) -> RequestBodyError { RequestBodyError(.timedOut, detail) }

    /// The connection closed before the body's end.
    public static let clientGone = RequestBodyError(.clientGone, "the client closed the connection before the end of the request body")

    /// The response was sent before the body was read to its end: the rest is no longer read.
    public static let abandoned = RequestBodyError(.abandoned, "the response was sent before the request body was read")

    /// A blocking read was attempted on an event-loop thread (it would stall every connection
    /// of the loop): read from a front or back thread, or use the `AsyncSequence`.
    public static let onEventLoop = RequestBodyError(.onEventLoop, "a request body cannot be read with a blocking call on an event loop")

    /// Whether the body passed its limit.
    public var isTooLarge: Bool { code == .tooLarge }
    /// Whether the client was too slow or stalled.
    public var isTimeout: Bool { code == .timedOut }

    /// The answer this error calls for: `413`, `408`, `499` (the client left, nobody reads
    /// the answer) or `500` (a programming error).
    public var status: HTTPResponseStatus {
        switch code {
        case .tooLarge: .payloadTooLarge
        case .timedOut: .requestTimeout
        case .clientGone, .abandoned: HTTPResponseStatus(statusCode: 499, reasonPhrase: "Client Closed Request")
        case .onEventLoop: .internalServerError
        }
    }

    public var description: String { "RequestBodyError(\(code): \(detail))" }
}
