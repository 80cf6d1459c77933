/// How a route takes its request body: buffered whole before the handler runs (the default),
/// or streamed to the handler while it arrives.
public enum RequestBodyMode: Sendable, Hashable {
    /// The whole body is read, within `server.max-body-size`, before the handler runs; it is
    /// in `request.body`.
    case buffered
    /// The handler runs as soon as the head arrived and reads the body while it comes
    /// (``RequestBodyStream``); `server.max-body-size` does not apply, `maxSize` (bytes) does:
    /// past it the reader throws ``RequestBodyError`` (`413`) and the connection is closed
    /// after the response.
    case stream(maxSize: Int)
}
