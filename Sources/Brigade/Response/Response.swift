import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// A complete HTTP response: status, headers and body.
///
/// Return it from a handler for full control; ``ResponseEntity`` does the same for a typed,
/// JSON-encoded body.
public typealias Response = HTTPServerResponse

extension HTTPServerResponse {
    /// A text response (`text/plain; charset=utf-8`).
    /// - Parameters:
    ///   - status: The status. Default 200.
    ///   - text: The body.
    public static func text(_ text: String, status: HTTPResponseStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        return Response(status: status, headers: headers, body: ByteBuffer(string: text))
    }

    /// A JSON response from an `Encodable` value.
    /// - Throws: When the value cannot be encoded.
    public static func json<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok) throws -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        return Response(status: status, headers: headers, body: try JSONBody.encode(value))
    }
}
