import DequeModule
import NIOCore
import NIOHTTP1
import Synchronization

/// Writes the one response to one request, from any thread: whole (``write(_:)``), or as a
/// head and then a streamed body (``stream(_:capacity:)``).
///
/// The first of them is sent; later ones are ignored (and return `false` or `nil`), so
/// racing completions — a result and a timeout — cannot produce two responses.
public struct HTTPResponseWriter: Sendable {
    /// The event loop of the request's connection (the framework schedules its timers there;
    /// never run user code on it).
    public let eventLoop: any EventLoop
    let target: any HTTPResponseTarget
    let requestNumber: UInt64
    /// Whether the request was `HEAD` (a streamed body is then never written).
    let isHeadRequest: Bool
    let claim: HTTPResponseClaim

    /// Creates a writer that hands the response to `deliver`, for in-process clients. A
    /// streamed response is collected and delivered whole once it ends.
    /// - Parameters:
    ///   - eventLoop: Where `deliver` runs.
    ///   - deliver: Receives the response, once.
    public init(eventLoop: any EventLoop, deliver: @escaping @Sendable (HTTPServerResponse) -> Void) {
        self.init(eventLoop: eventLoop, requestNumber: 0, isHeadRequest: false, target: CollectingTarget(eventLoop: eventLoop, deliver: deliver))
    }

    init(eventLoop: any EventLoop, requestNumber: UInt64, isHeadRequest: Bool, target: any HTTPResponseTarget) {
        self.eventLoop = eventLoop
        self.target = target
        self.requestNumber = requestNumber
        self.isHeadRequest = isHeadRequest
        self.claim = HTTPResponseClaim()
    }

    /// Sends the response (the connection's event loop writes it).
    /// - Returns: `true` if this was the first response for the request, `false` if one was
    ///   already written (this one is dropped).
    @discardableResult
    public func write(_ response: HTTPServerResponse) -> Bool {
        guard claim.claim() else { return false }
        target.send(response, requestNumber: requestNumber)
        return true
    }

    /// Sends `head`'s status and headers now (its body is ignored) and returns the stream its
    /// body is written to. The connector frames it: chunked on HTTP/1.1, closing the
    /// connection at the end on HTTP/1.0, no body for `HEAD`.
    /// - Parameters:
    ///   - head: The status and headers (`Content-Length` is removed: the length is unknown).
    ///   - capacity: The bytes the stream buffers before writers are told it is full.
    /// - Returns: The body's stream; `nil` if a response was already written.
    public func stream(_ head: HTTPServerResponse, capacity: Int) -> HTTPBodyStream? {
        guard claim.claim() else { return nil }
        var head = head
        head.body = ByteBuffer()
        head.headers.remove(name: "content-length")
        return target.startStream(head, capacity: capacity, requestNumber: requestNumber, isHeadRequest: isHeadRequest)
    }

    /// Whether a response was already written.
    public var isWritten: Bool { claim.isClaimed }
}

/// Where a writer's response goes: a connection, or an in-process client.
protocol HTTPResponseTarget: Sendable {
    /// Sends a whole response (from any thread).
    func send(_ response: HTTPServerResponse, requestNumber: UInt64)
    /// Sends the head now and returns the stream for the body (from any thread).
    func startStream(_ head: HTTPServerResponse, capacity: Int, requestNumber: UInt64, isHeadRequest: Bool) -> HTTPBodyStream
}

/// A one-shot flag shared by the copies of a writer.
final class HTTPResponseClaim: Sendable {
    private let flag = Atomic(false)
    func claim() -> Bool { flag.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged }
    var isClaimed: Bool { flag.load(ordering: .acquiring) }
}

/// An in-process client's target: a whole response is delivered as it is; a streamed one is
/// collected on the event loop and delivered whole when it ends (or, with what came so far,
/// when it is aborted).
final class CollectingTarget: HTTPResponseTarget, HTTPStreamTarget {
    private struct Collected {
        var head: HTTPServerResponse?
        var delivered = false
    }

    private let eventLoop: any EventLoop
    private let deliver: @Sendable (HTTPServerResponse) -> Void
    private let collected = Mutex(Collected())

    init(eventLoop: any EventLoop, deliver: @escaping @Sendable (HTTPServerResponse) -> Void) {
        self.eventLoop = eventLoop
        self.deliver = deliver
    }

    func send(_ response: HTTPServerResponse, requestNumber: UInt64) {
        let deliver = self.deliver
        if eventLoop.inEventLoop { deliver(response) } else { eventLoop.execute { deliver(response) } }
    }

    func startStream(_ head: HTTPServerResponse, capacity: Int, requestNumber: UInt64, isHeadRequest: Bool) -> HTTPBodyStream {
        collected.withLock { $0.head = head }
        return HTTPBodyStream(capacity: capacity, isHeadOnly: isHeadRequest, target: self)
    }

    func scheduleDrain(_ stream: HTTPBodyStream, batch: StreamDrainBatch?) {
        eventLoop.execute { self.drain(stream) }
    }

    func abort(_ stream: HTTPBodyStream) {
        eventLoop.execute {
            self.deliverOnce()
            stream.close(.aborted)
        }
    }

    private func drain(_ stream: HTTPBodyStream) {
        let (parts, end) = stream.takeForWriting()
        collected.withLock { collected in
            for var part in parts { collected.head?.body.writeBuffer(&part.bytes) }
        }
        if end {
            deliverOnce()
            stream.close(.ended)
        }
    }

    private func deliverOnce() {
        let response = collected.withLock { collected -> HTTPServerResponse? in
            guard !collected.delivered, let head = collected.head else { return nil }
            collected.delivered = true
            return head
        }
        if let response { deliver(response) }
    }
}
