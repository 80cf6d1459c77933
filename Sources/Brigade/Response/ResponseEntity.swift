import BrigadeHTTP
import NIOHTTP1

/// A typed response: status, headers and an `Encodable` body sent as JSON (Spring's
/// `ResponseEntity<T>`).
///
/// ```swift
/// return ResponseEntity(status: .created, headers: ["location": "/books/\(book.id)"], body: book)
/// ```
public struct ResponseEntity<Body: Encodable & Sendable>: ResponseGenerator {
    /// The status. Default 200.
    public var status: HTTPResponseStatus
    /// Extra headers; `content-type` defaults to `application/json`.
    public var headers: HTTPHeaders
    /// The body, encoded as JSON; `nil` sends no body.
    public var body: Body?

    /// Creates an entity.
    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: Body?) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Encodes the body as JSON (runs on a front thread).
    public func response(for request: Request) throws -> Response {
        var headers = self.headers
        guard let body else { return Response(status: status, headers: headers) }
        if !headers.contains(name: "content-type") { headers.add(name: "content-type", value: "application/json") }
        return Response(status: status, headers: headers, body: try JSONBody.encode(body))
    }
}

extension ResponseEntity where Body == String {
    /// An entity with no body.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:]) {
        self.init(status: status, headers: headers, body: nil)
    }
}
