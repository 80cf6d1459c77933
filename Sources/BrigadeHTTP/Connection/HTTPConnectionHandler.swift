import BrigadeExecutors
import Logging
import NIOCore
import NIOHTTP1

/// One connection's request/response cycle, on its event loop.
///
/// It assembles complete requests (head and body, within the limits), hands each to the
/// responder, and writes the one response back; `HTTPServerPipelineHandler` before it holds
/// pipelined requests back until the previous response is written, so answers go out in
/// order. It never runs user code and never blocks.
final class HTTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The connection's lifecycle; every transition happens on the event loop.
    private enum State {
        /// Waiting for the next request's head.
        case idle
        /// Reading a request's body.
        case receiving(HTTPRequestHead, ByteBuffer)
        /// The responder has the request numbered `number`; its writer will answer.
        case responding(number: UInt64, head: HTTPRequestHead, cancellation: CancellationSignal)
        /// A last response is on its way; then the connection closes. Input is ignored.
        case closing
    }

    private let responder: any HTTPResponder
    private let configuration: HTTPServer.Configuration
    private let logger: Logger
    private var state = State.idle
    private var requestNumber: UInt64 = 0
    private var lastActivity = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?
    private var remoteAddress: String?

    init(responder: any HTTPResponder, configuration: HTTPServer.Configuration, logger: Logger) {
        self.responder = responder
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: inbound

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress.flatMap { address in
            address.ipAddress.map { "\($0):\(address.port ?? 0)" }
        }
        lastActivity = .now()
        armIdleTimer(context: context, after: configuration.idleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        if case .responding(_, _, let cancellation) = state {
            cancellation.cancel(reason: "client disconnected")
        }
        state = .closing
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        switch unwrapInboundIn(data) {
        case .head(let head):
            receiveHead(head, context: context)
        case .body(let chunk):
            receiveBody(chunk, context: context)
        case .end:
            receiveEnd(context: context)
        }
    }

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
        if let declared, declared > configuration.maxBodySize {
            return refuse(.payloadTooLarge, detail: "request body of \(declared) bytes exceeds the limit of \(configuration.maxBodySize) bytes", context: context)
        }
        if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        state = .receiving(head, context.channel.allocator.buffer(capacity: min(declared ?? 0, configuration.maxBodySize)))
    }

    private func receiveBody(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        guard case .receiving(let head, var body) = state else { return }
        state = .idle  // drop the reference so appending does not copy the buffer
        if body.readableBytes + chunk.readableBytes > configuration.maxBodySize {
            return refuse(.payloadTooLarge, detail: "request body exceeds the limit of \(configuration.maxBodySize) bytes", context: context)
        }
        var chunk = chunk
        body.writeBuffer(&chunk)
        state = .receiving(head, body)
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        guard case .receiving(let head, let body) = state else { return }
        // The request's arrival: complete, and about to be handed over. A pipelined request
        // reaches this point only once the previous response was written (see above).
        let receivedAt = monotonicNanoseconds()
        requestNumber &+= 1
        let cancellation = CancellationSignal()
        state = .responding(number: requestNumber, head: head, cancellation: cancellation)
        let request = HTTPServerRequest(
            method: head.method, uri: head.uri, version: head.version, headers: head.headers,
            body: body, remoteAddress: remoteAddress, cancellation: cancellation, receivedAt: receivedAt)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let writer = HTTPResponseWriter(eventLoop: context.eventLoop, requestNumber: requestNumber) { response, number in
            let (handler, context) = bound.value
            handler.send(response, forRequest: number, context: context)
        }
        responder.respond(to: request, writer: writer)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch (error as? HTTPParserError, state) {
        case (.headerOverflow?, .idle), (.headerOverflow?, .receiving):
            refuse(.requestHeaderFieldsTooLarge, detail: "request header block exceeds \(configuration.maxHeaderSize) bytes", context: context)
        case (.some, .idle), (.some, .receiving):
            refuse(.badRequest, detail: "malformed HTTP request", context: context)
        default:
            context.close(promise: nil)
        }
    }

    // MARK: outbound

    /// Writes the response to request `number` (stale or duplicate answers are dropped).
    private func send(_ response: HTTPServerResponse, forRequest number: UInt64, context: ChannelHandlerContext) {
        guard case .responding(let current, let head, _) = state, current == number else { return }
        let keepAlive = head.isKeepAlive
        // Move on *before* writing: writing the response's end makes `HTTPServerPipelineHandler`
        // deliver the next pipelined request at once, re-entrantly, and it must find us idle
        // (else it would be dropped and the connection would hang).
        if keepAlive {
            state = .idle
            lastActivity = .now()
            if idleTimer == nil { armIdleTimer(context: context, after: configuration.idleTimeout) }
        } else {
            state = .closing
        }
        write(response, version: head.version, method: head.method, keepAlive: keepAlive, context: context)
    }

    /// Answers with a connector-level error and closes the connection.
    private func refuse(_ status: HTTPResponseStatus, detail: String, context: ChannelHandlerContext) {
        state = .closing
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/problem+json")
        let response = HTTPServerResponse(
            status: status, headers: headers,
            body: ProblemBody.buffer(status: status, detail: detail, allocator: context.channel.allocator))
        write(response, version: .http1_1, method: .GET, keepAlive: false, isRefusal: true, context: context)
    }

    /// Writes a response with the connector's headers; `isRefusal` marks the connector's own
    /// answers (``refuse(_:detail:context:)``).
    private func write(
        _ response: HTTPServerResponse, version: HTTPVersion, method: HTTPMethod, keepAlive: Bool,
        isRefusal: Bool = false, context: ChannelHandlerContext
    ) {
        var headers = response.headers
        headers.add(name: "date", value: DateHeader.current)
        if !headers.contains(name: "server") { headers.add(name: "server", value: configuration.serverName) }
        let code = response.status.code
        let mayHaveBody = code >= 200 && code != 204 && code != 304
        if mayHaveBody { headers.replaceOrAdd(name: "content-length", value: String(response.body.readableBytes)) }
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
        guard head.isValidToSend else {
            // Never split a response: answer 500 instead and close (the refusal is valid by
            // construction; should even it fail, e.g. a bad `server.name`, just close).
            logger.error("response not sent: a header name or value, or the reason phrase, has invalid characters",
                         metadata: ["status": "\(response.status.code)"])
            if isRefusal {
                context.close(promise: nil)
            } else {
                refuse(.internalServerError, detail: "the server produced an invalid response", context: context)
            }
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if mayHaveBody, method != .HEAD, response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    // MARK: idle timeout

    /// One timer per connection; reads only record the time, and the timer re-arms itself for
    /// the remainder, so a busy connection costs no timer operations per request.
    private func armIdleTimer(context: ChannelHandlerContext, after delay: Duration) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: TimeAmount(delay)) {
            let (handler, context) = bound.value
            handler.idleTimerFired(context: context)
        }
    }

    private func idleTimerFired(context: ChannelHandlerContext) {
        idleTimer = nil
        switch state {
        case .responding, .closing:
            return  // the request in progress has its own timeouts; re-armed after the response
        case .idle, .receiving:
            let timeout = TimeAmount(configuration.idleTimeout)
            let idleFor = NIODeadline.now() - lastActivity
            if idleFor >= timeout {
                state = .closing
                context.close(promise: nil)
            } else {
                armIdleTimer(context: context, after: Duration(timeout - idleFor))
            }
        }
    }
}
