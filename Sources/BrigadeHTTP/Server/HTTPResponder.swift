/// What the connector hands every complete request to. The connector knows nothing of
/// routing, threads or controllers; the ``HTTPResponder`` decides all of that.
///
/// `respond` is called **on an event-loop thread** and must return at once: hand the request
/// to another thread (Brigade's front pool) and answer later through the writer.
public protocol HTTPResponder: Sendable {
    /// Takes a request; answers it, now or later, from any thread, through `writer`.
    /// - Parameters:
    ///   - request: The complete request.
    ///   - writer: Writes the one response to this request.
    func respond(to request: HTTPServerRequest, writer: HTTPResponseWriter)
}
