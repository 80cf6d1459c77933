import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// Server-Sent Events (`text/event-stream`), sent from any thread (Spring's `SseEmitter`):
/// the live feed a browser's `EventSource` reads.
///
/// ```swift
/// routes.get("/quotes/stream") { request in
///     let emitter = SseEmitter(timeout: nil, heartbeat: .seconds(15))
///     let subscription = market.subscribe(after: request.lastEventID) { quote in
///         try? emitter.send(ServerSentEvent(json: quote, event: "quote", id: "\(quote.sequence)"))
///     }
///     emitter.onCompletion { subscription.cancel() }
///     return emitter
/// }
/// ```
/// Everything ``ResponseBodyEmitter`` says holds. Besides: a heartbeat — a comment line every
/// period, scheduled on the process's shared scheduler (no thread or task per stream) —
/// keeps proxies from timing the stream out and finds a client that stopped reading: when
/// data waits and nothing more reached the client for two heartbeats, the connection is
/// closed and the stream ends as ``StreamEnding/stalled``. A reconnecting browser's
/// `Last-Event-ID` is ``Request/lastEventID``.
public final class SseEmitter: HandlerResult {
    let core: EmitterCore

    /// An emitter that times out after `async.timeout`.
    /// - Parameters:
    ///   - heartbeat: How often to write a comment line; `nil` for none.
    ///   - bufferSize: Bytes buffered for a slow client; `nil` is `streams.buffer-size`.
    ///   - whenFull: What a send does when the buffer is full; `nil` waits up to
    ///     `streams.write-timeout`.
    public convenience init(heartbeat: Duration? = nil, bufferSize: Int? = nil, whenFull: StreamBufferPolicy? = nil) {
        self.init(timeout: .default, heartbeat: heartbeat, bufferSize: bufferSize, whenFull: whenFull)
    }

    /// An emitter with its own timeout; `nil` never times out.
    public convenience init(timeout: Duration?, heartbeat: Duration? = nil, bufferSize: Int? = nil, whenFull: StreamBufferPolicy? = nil) {
        self.init(timeout: StreamTimeout(timeout), heartbeat: heartbeat, bufferSize: bufferSize, whenFull: whenFull)
    }

    private init(timeout: StreamTimeout, heartbeat: Duration?, bufferSize: Int?, whenFull: StreamBufferPolicy?) {
        core = EmitterCore(.init(
            timeout: timeout, head: Self.head, bufferSize: bufferSize, policy: whenFull,
            heartbeat: heartbeat.map { ($0, Self.heartbeatFrame) }))
    }

    /// Every SSE response's head, shared (ten thousand subscribers, one copy).
    private static let head: Response = {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache")
        headers.add(name: "x-accel-buffering", value: "no")  // nginx: pass each event on at once
        return Response(status: .ok, headers: headers)
    }()

    /// The heartbeat: an empty comment line.
    private static let heartbeatFrame = ByteBuffer(string: ":\n")

    /// Sends an event.
    /// - Throws: ``StreamClosedError`` once the stream ended or its client left,
    ///   ``StreamBufferFullError`` when the client reads too slowly.
    public func send(_ event: ServerSentEvent) throws {
        try send(event.encoded())
    }

    /// Sends an event already encoded — one frame shared by every subscriber it goes to.
    public func send(_ frame: ServerSentEvent.Frame) throws {
        try core.send(frame.bytes, chunk: frame.chunk)
    }

    /// Sends an event whose data is `value` as JSON.
    public func send<T: Encodable>(_ value: T, event: String? = nil, id: String? = nil) throws {
        try send(ServerSentEvent(json: value, event: event, id: id))
    }

    /// Sends an event, suspending while the buffer is full.
    public func send(_ event: ServerSentEvent) async throws {
        let frame = event.encoded()
        try await core.send(frame.bytes, chunk: frame.chunk)
    }

    /// Ends the stream once what was sent is written.
    /// - Returns: `false` if it had ended already.
    @discardableResult
    public func complete() -> Bool { core.completed() }

    /// Ends the stream with an error: before the head, `error` is the response; after, the
    /// connection is closed.
    /// - Returns: `false` if it had ended already.
    @discardableResult
    public func completeWithError(_ error: any Error) -> Bool { core.failed(error) }

    /// Runs when the timeout passes; it may ``complete()``. On a front thread.
    public func onTimeout(_ callback: @escaping @Sendable () -> Void) { core.onTimeout(callback) }

    /// Runs when the stream ends with an error (``completeWithError(_:)``, the client gone,
    /// a stalled client). On a front thread.
    public func onError(_ callback: @escaping @Sendable (any Error) -> Void) { core.onError(callback) }

    /// Runs once the stream is over, whatever ended it. On a front thread.
    public func onCompletion(_ callback: @escaping @Sendable () -> Void) { core.onCompletion(callback) }

    /// Streams.
    public var handlerStep: HandlerStep { HandlerStep(.stream(core)) }
}
