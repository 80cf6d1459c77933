import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// An RFC 9457 problem details body: `type`, `title`, `status`, `detail`, `instance`, plus
/// `request-id` and `invalid-params` when there are any.
struct ProblemDetails: Encodable {
    var type = "about:blank"
    var title: String
    var status: Int
    var detail: String?
    var instance: String?
    var requestID: String?
    var invalidParams: [HTTPError.InvalidParameter]?
    var headers: HTTPHeaders
    var httpStatus: HTTPResponseStatus

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, instance
        case requestID = "request-id"
        case invalidParams = "invalid-params"
    }

    init(error: HTTPError, request: Request?) {
        title = error.status.reasonPhrase
        status = Int(error.status.code)
        detail = error.detail
        instance = request.map { String($0.path) }
        requestID = request?.id
        invalidParams = error.invalidParameters.isEmpty ? nil : error.invalidParameters
        headers = error.headers
        httpStatus = error.status
    }

    func response() -> Response {
        var headers = self.headers
        headers.replaceOrAdd(name: "content-type", value: "application/problem+json")
        let body = (try? JSONBody.encode(self)) ?? ByteBuffer(string: #"{"type":"about:blank","status":\#(status)}"#)
        return Response(status: httpStatus, headers: headers, body: body)
    }
}
