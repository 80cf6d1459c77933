import NIOCore
import NIOHTTP1

/// A complete HTTP response: status, headers and a body held in memory.
///
/// The connector adds `Date`, `Server`, `Content-Length` and, when the connection closes,
/// `Connection: close`; the body is not sent for `HEAD` requests.
public struct HTTPServerResponse: Sendable {
    /// The status code.
    public var status: HTTPResponseStatus
    /// The headers the application set.
    public var headers: HTTPHeaders
    /// The body.
    public var body: ByteBuffer

    /// Creates a response.
    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
