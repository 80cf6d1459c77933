import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// A response body sent in parts, from any thread, for as long as it takes (Spring's
/// `ResponseBodyEmitter`): return it from a handler — the front thread goes back at once —
/// and feed it from a back thread, a callback, a scheduler.
///
/// ```swift
/// routes.get("/orders/live") { request in
///     let emitter = ResponseBodyEmitter()                 // application/x-ndjson
///     orders.subscribe { order in try? emitter.send(order) }   // one JSON line per order
///     return emitter
/// }
/// ```
/// The head is written as soon as the handler returns (chunked on HTTP/1.1). Each part waits
/// in a bounded buffer (`streams.buffer-size`) for the client; when the client reads too
/// slowly the buffer fills, and `whenFull` says what a send does then: wait up to
/// `streams.write-timeout` (the default: blocking senders on back threads), fail at once, or
/// drop the oldest parts. ``complete()`` ends it once what was sent is written;
/// ``completeWithError(_:)`` closes the connection (the client sees a truncated body).
/// `send` after the end, or after the client left, throws ``StreamClosedError`` — never
/// blocks for ever, never crashes. ``onTimeout(_:)``, ``onError(_:)`` and
/// ``onCompletion(_:)`` run once each, on front threads, whatever ended it.
public final class ResponseBodyEmitter: HandlerResult {
    let core: EmitterCore

    /// An emitter that times out after `async.timeout`.
    /// - Parameters:
    ///   - contentType: The body's type. Default `application/x-ndjson` (one JSON per line).
    ///   - bufferSize: Bytes buffered for a slow client; `nil` is `streams.buffer-size`.
    ///   - whenFull: What a send does when the buffer is full; `nil` waits up to
    ///     `streams.write-timeout`.
    public convenience init(contentType: String = "application/x-ndjson", bufferSize: Int? = nil, whenFull: StreamBufferPolicy? = nil) {
        self.init(timeout: .default, contentType: contentType, bufferSize: bufferSize, whenFull: whenFull)
    }

    /// An emitter with its own timeout; `nil` never times out.
    public convenience init(timeout: Duration?, contentType: String = "application/x-ndjson", bufferSize: Int? = nil, whenFull: StreamBufferPolicy? = nil) {
        self.init(timeout: StreamTimeout(timeout), contentType: contentType, bufferSize: bufferSize, whenFull: whenFull)
    }

    private init(timeout: StreamTimeout, contentType: String, bufferSize: Int?, whenFull: StreamBufferPolicy?) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "cache-control", value: "no-cache")
        core = EmitterCore(.init(timeout: timeout, head: Response(status: .ok, headers: headers), bufferSize: bufferSize, policy: whenFull, heartbeat: nil))
    }

    /// Sends `value` as one line of JSON.
    /// - Throws: ``StreamClosedError``, ``StreamBufferFullError``, or the encoding's error.
    public func send<T: Encodable>(_ value: T) throws {
        var buffer = try JSONBody.encode(value)
        buffer.writeStaticString("\n")
        try core.send(buffer)
    }

    /// Sends `value` as one line of JSON, suspending while the buffer is full.
    public func send<T: Encodable>(_ value: T) async throws {
        var buffer = try JSONBody.encode(value)
        buffer.writeStaticString("\n")
        try await core.send(buffer)
    }

    /// Sends `text` as it is (add your own line breaks).
    public func send(text: String) throws {
        try core.send(ByteBuffer(string: text))
    }

    /// Sends `bytes` as they are.
    public func send(bytes: ByteBuffer) throws {
        try core.send(bytes)
    }

    /// Ends the body once what was sent is written.
    /// - Returns: `false` if it had ended already.
    @discardableResult
    public func complete() -> Bool { core.completed() }

    /// Ends the body with an error: before the head is written, `error` is the response
    /// (through the error handlers); after, the connection is closed.
    /// - Returns: `false` if it had ended already.
    @discardableResult
    public func completeWithError(_ error: any Error) -> Bool { core.failed(error) }

    /// Runs when the timeout passes; it may ``complete()`` (else the stream ends as timed
    /// out). On a front thread.
    public func onTimeout(_ callback: @escaping @Sendable () -> Void) { core.onTimeout(callback) }

    /// Runs when the stream ends with an error — ``completeWithError(_:)``, the client gone
    /// (``ClientDisconnectedError``), a client that stopped reading. On a front thread.
    public func onError(_ callback: @escaping @Sendable (any Error) -> Void) { core.onError(callback) }

    /// Runs once the stream is over, whatever ended it. On a front thread, even when
    /// registered after the end.
    public func onCompletion(_ callback: @escaping @Sendable () -> Void) { core.onCompletion(callback) }

    /// Streams.
    public var handlerStep: HandlerStep { HandlerStep(.stream(core)) }
}
