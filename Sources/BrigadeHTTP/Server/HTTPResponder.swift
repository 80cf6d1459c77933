import NIOHTTP1

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

    /// How the request whose head is `head` takes its body: buffered (the default) or
    /// streamed to the handler while it arrives. Called **on an event-loop thread** when a
    /// head announcing a body arrives: decide at once (a route lookup), never block.
    func bodyMode(for head: HTTPRequestHead) -> RequestBodyMode
}

extension HTTPResponder {
    /// Every body buffered.
    public func bodyMode(for head: HTTPRequestHead) -> RequestBodyMode { .buffered }
}
