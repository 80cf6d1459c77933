import BrigadeExecutors
import NIOCore
import NIOHTTP1

/// A complete HTTP/1.1 request as the connector hands it to the responder: head and whole body.
///
/// A value: safe to pass between threads.
public struct HTTPServerRequest: Sendable {
    /// The method (`GET`, `POST`, …).
    public var method: HTTPMethod
    /// The request target as sent (`/users/42?verbose=1`).
    public var uri: String
    /// The HTTP version of the request.
    public var version: HTTPVersion
    /// The request headers.
    public var headers: HTTPHeaders
    /// The body, possibly empty; never larger than the server's maximum body size. Empty when
    /// the body is streamed (``bodyStream``).
    public var body: ByteBuffer
    /// The body being received, when the responder chose to stream it
    /// (``HTTPResponder/bodyMode(for:)``); `nil` when it is buffered whole in ``body``.
    public var bodyStream: RequestBodyStream?
    /// The peer's address, as `ip:port`, when known.
    public var remoteAddress: String?
    /// Signalled when the request's result is no longer wanted: the connector signals it
    /// when the client disconnects before the response is written; the framework when the
    /// request times out. Long work (database calls) stops when it fires.
    public var cancellation: CancellationSignal
    /// When the request arrived complete (a streamed body: when its head arrived), in ``monotonicNanoseconds()`` (not wall-clock time):
    /// the connector sets it when the request's last byte was read and it is handed to the
    /// responder; the start of every timing the framework reports (`Server-Timing`'s `total`).
    ///
    /// A pipelined request is handed over, and so stamped, only once the response to the one
    /// before it was written: its time behind that response is not counted.
    public var receivedAt: UInt64

    /// Creates a request (the connector does; tests and the in-process client may too).
    ///
    /// `receivedAt` defaults to now: a request made in-process arrives when it is made.
    public init(
        method: HTTPMethod,
        uri: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:],
        body: ByteBuffer = ByteBuffer(),
        remoteAddress: String? = nil,
        cancellation: CancellationSignal = CancellationSignal(),
        receivedAt: UInt64 = monotonicNanoseconds(),
        bodyStream: RequestBodyStream? = nil
    ) {
        self.method = method
        self.uri = uri
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.cancellation = cancellation
        self.receivedAt = receivedAt
        self.bodyStream = bodyStream
    }

    /// The path part of ``uri``, without the query.
    public var path: Substring {
        guard let question = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return uri[...] }
        return uri[..<question]
    }

    /// The raw query string after `?`, if any.
    public var query: Substring? {
        guard let question = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return uri[uri.index(after: question)...]
    }
}
