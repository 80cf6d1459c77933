/// Renders a value an asynchronous result produced: a ``ResponseGenerator`` renders itself,
/// `Void` is 204, any other `Encodable` is JSON.
enum ValueRenderer {
    static func render(_ value: any Sendable, for request: Request) throws -> Response {
        switch value {
        case is any AsyncResultSource:
            throw HTTPError(.internalServerError, "an asynchronous result cannot produce another asynchronous result")
        case let generator as any ResponseGenerator:
            return try generator.response(for: request)
        case is Void:
            return Response(status: .noContent)
        case let encodable as any Encodable:
            return try .json(encodable)
        default:
            request.logger.error("cannot render a value of type \(type(of: value)) as a response")
            throw HTTPError(.internalServerError, "the handler produced a value that cannot be rendered")
        }
    }
}
