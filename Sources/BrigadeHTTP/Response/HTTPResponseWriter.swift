import NIOCore

/// Writes the one response to one request, from any thread.
///
/// The first ``write(_:)`` is sent; later ones are ignored (and return `false`), so racing
/// completions — a result and a timeout — cannot produce two responses.
public struct HTTPResponseWriter: Sendable {
    /// The event loop of the request's connection (the framework schedules its timers there;
    /// never run user code on it).
    public let eventLoop: any EventLoop
    let sink: @Sendable (HTTPServerResponse, UInt64) -> Void
    let requestNumber: UInt64
    let claim: HTTPResponseClaim

    /// Creates a writer that hands the response to `deliver`, for in-process clients.
    /// - Parameters:
    ///   - eventLoop: Where `deliver` runs.
    ///   - deliver: Receives the response, once.
    public init(eventLoop: any EventLoop, deliver: @escaping @Sendable (HTTPServerResponse) -> Void) {
        self.eventLoop = eventLoop
        self.sink = { response, _ in deliver(response) }
        self.requestNumber = 0
        self.claim = HTTPResponseClaim()
    }

    init(eventLoop: any EventLoop, requestNumber: UInt64, sink: @escaping @Sendable (HTTPServerResponse, UInt64) -> Void) {
        self.eventLoop = eventLoop
        self.sink = sink
        self.requestNumber = requestNumber
        self.claim = HTTPResponseClaim()
    }

    /// Sends the response (the connection's event loop writes it).
    /// - Returns: `true` if this was the first response for the request, `false` if one was
    ///   already written (this one is dropped).
    @discardableResult
    public func write(_ response: HTTPServerResponse) -> Bool {
        guard claim.claim() else { return false }
        if eventLoop.inEventLoop {
            sink(response, requestNumber)
        } else {
            let sink = self.sink, number = requestNumber
            eventLoop.execute { sink(response, number) }
        }
        return true
    }

    /// Whether a response was already written.
    public var isWritten: Bool { claim.isClaimed }
}

import Synchronization

/// A one-shot flag shared by the copies of a writer.
final class HTTPResponseClaim: Sendable {
    private let flag = Atomic(false)
    func claim() -> Bool { flag.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged }
    var isClaimed: Bool { flag.load(ordering: .acquiring) }
}
