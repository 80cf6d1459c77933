import BrigadeExecutors
import DequeModule
import Logging
import NIOCore
import NIOHTTP1

/// One connection's request/response cycle, on its event loop.
///
/// It assembles complete requests (head and body, within the limits), hands each to the
/// responder, and writes the one response back — whole, or as a head and a streamed body
/// (``HTTPBodyStream``) whose parts it takes while the channel is writable;
/// `HTTPServerPipelineHandler` before it holds pipelined requests back until the previous
/// response's end is written, so answers go out in order. It never runs user code and never
/// blocks.
///
/// A route that streams its body (``RequestBodyMode/stream(maxSize:)``) is handed over when
/// its head arrives; the body follows into its ``RequestBodyStream`` (``Inbound``), and while
/// that stream's buffer is full the handler holds back the channel's `read` events, so the
/// socket is not read (backpressure to the client through TCP).
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The connection's lifecycle; every transition happens on the event loop.
    private enum State {
        /// Waiting for the next request's head.
        case idle
        /// Reading a request's body.
        case receiving(Receiving)
        /// The responder has the request numbered `number`; its writer will answer.
        case responding(number: UInt64, head: HTTPRequestHead, cancellation: CancellationSignal)
        /// A streamed response's head is written; its body follows.
        case streaming(Streaming)
        /// A last response is on its way; then the connection closes. Input is ignored.
        case closing
    }

    /// A request whose head arrived and whose body is on its way.
    private struct Receiving {
        var head: HTTPRequestHead
        /// The bytes so far; `nil` until some arrive: nothing is reserved on the word of a
        /// `Content-Length`, the buffer grows with the bytes that come.
        var body: ByteBuffer?
        /// When the head arrived: `server.body-timeout` and `server.min-body-rate` count from here.
        let since: NIODeadline

        var received: Int { body?.readableBytes ?? 0 }
    }

    /// A request body streamed to its handler while it arrives; lives beside the response's
    /// state (the answer may start, or end, before the body does).
    private struct Inbound {
        let stream: RequestBodyStream
        let limit: Int
        var received = 0
        /// The interim `100 Continue` is owed, not sent yet: the client may be waiting for it,
        /// so its time does not count against it.
        var awaitingContinue: Bool
        /// The body cannot be read on (limit passed, timed out): the socket is not read.
        var failed = false
        /// Since when the connector reads for this body (`nil`: paused because the buffer is
        /// full, or before `100 Continue`): only that time counts against the client.
        var readingSince: NIODeadline?
        /// Time spent reading before ``readingSince``.
        var readTime = TimeAmount.zero
        /// The last bytes, or the moment reading (re)started.
        var lastProgress: NIODeadline

        /// Whether the client's pace is being measured now.
        var isTimed: Bool { !failed && !awaitingContinue && readingSince != nil }
        /// Whether `read` events must be held back.
        var holdsReads: Bool { failed || readingSince == nil && !awaitingContinue }
    }

    /// A streamed response in progress (a class: the state's case holds one reference, which
    /// a drain — thousands per tick of a ticker — copies without retaining each field).
    private final class Streaming {
        let number: UInt64
        let head: HTTPRequestHead
        let cancellation: CancellationSignal
        let stream: HTTPBodyStream
        /// Whether the connection stays open after the end (HTTP/1.1 keep-alive); HTTP/1.0
        /// delimits the body by closing.
        let keepAlive: Bool
        /// Whether the body is chunked (HTTP/1.1) rather than delimited by the close.
        let chunked: Bool

        init(number: UInt64, head: HTTPRequestHead, cancellation: CancellationSignal, stream: HTTPBodyStream, keepAlive: Bool, chunked: Bool) {
            self.number = number
            self.head = head
            self.cancellation = cancellation
            self.stream = stream
            self.keepAlive = keepAlive
            self.chunked = chunked
        }
    }

    private let responder: any HTTPResponder
    /// The event loop's drain queue (the server shares one per loop); `nil`: one of its own.
    private let drainQueue: StreamDrainQueue?
    /// Where this connection's writers send (created when the connection becomes active).
    private var target: ConnectionTarget?
    /// The HTTP encoder's context: a stream's parts, framed here, are written from it, past
    /// the encoder and the pipelining handler (they only need the head and the end).
    private var rawWriter: ChannelHandlerContext?
    private let configuration: HTTPServer.Configuration
    private let logger: Logger
    private var state = State.idle
    /// The request body being streamed to the handler, if any (see ``Inbound``).
    private var inbound: Inbound?
    /// A `read` event held back while ``inbound`` is paused: passed on when it resumes.
    private var readHeld = false
    private var requestNumber: UInt64 = 0
    private var lastActivity = NIODeadline.now()
    /// The connection's one timer (see ``armTimer(at:context:)``), and when it fires.
    private var timer: Scheduled<Void>?
    private var timerDeadline = NIODeadline.distantFuture
    private var remoteAddress: String?
    /// The configuration's durations as NIO time amounts, saturated (a "never" stays in the future).
    private let idleTimeout: TimeAmount
    private let bodyTimeout: TimeAmount?
    private let minBodyRateGrace: TimeAmount

    init(responder: any HTTPResponder, configuration: HTTPServer.Configuration, drainQueue: StreamDrainQueue? = nil, logger: Logger) {
        self.responder = responder
        self.drainQueue = drainQueue
        self.configuration = configuration
        self.logger = logger
        idleTimeout = Self.timeAmount(configuration.idleTimeout)
        bodyTimeout = configuration.bodyTimeout.map(Self.timeAmount)
        minBodyRateGrace = Self.timeAmount(configuration.minBodyRateGrace)
    }

    /// The capacity of the buffer holding the body being received (0 before any byte came),
    /// `nil` when no body is being received: tests check it grows with the bytes that came,
    /// not with the declared length.
    var receivingBodyCapacity: Int? {
        if case .receiving(let receiving) = state { return receiving.body?.capacity ?? 0 }
        return nil
    }

    // MARK: inbound

    func handlerAdded(context: ChannelHandlerContext) {
        rawWriter = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        rawWriter = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        remoteAddress = context.channel.remoteAddress.flatMap { address in
            address.ipAddress.map { "\($0):\(address.port ?? 0)" }
        }
        lastActivity = .now()
        armTimer(at: lastActivity + idleTimeout, context: context)
        _ = connectionTarget(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        let previous = state
        state = .closing
        switch previous {
        case .responding(_, _, let cancellation):
            cancellation.cancel(reason: "client disconnected")
        case .streaming(let streaming):
            streaming.cancellation.cancel(reason: "client disconnected")
            streaming.stream.close(.clientGone)
        case .idle, .receiving, .closing:
            break
        }
        if let inbound {
            inbound.stream.fail(.clientGone)
            self.inbound = nil
        }
        target = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .streaming(let streaming) = state, streaming.stream.channelWritabilityChanged(context.channel.isWritable) {
            drain(streaming.stream, context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        switch unwrapInboundIn(data) {
        case .head(let head):
            receiveHead(head, context: context)
        case .body(let chunk):
            if inbound != nil { receiveStreamedBody(chunk, context: context) } else { receiveBody(chunk, context: context) }
        case .end:
            if inbound != nil { receiveStreamedEnd(context: context) } else { receiveEnd(context: context) }
        }
    }

    /// Holds back `read` while a streamed body's buffer is full (or the body failed): the
    /// channel then reads nothing from the socket until ``resumeInbound(_:context:)``.
    func read(context: ChannelHandlerContext) {
        if let inbound, inbound.holdsReads {
            readHeld = true
            return
        }
        context.read()
    }

    /// Reads of one wake-up are over: a request whose body is still on its way needs its
    /// checks armed. A request that arrived whole in one read never gets here receiving, so
    /// it costs no timer operation; a body spread over reads costs at most one.
    func channelReadComplete(context: ChannelHandlerContext) {
        if case .receiving(let receiving) = state, let check = nextBodyCheck(receiving) {
            let deadline = min(check, lastActivity + idleTimeout)
            if timer == nil || deadline < timerDeadline { armTimer(at: deadline, context: context) }
        } else if let inbound, let check = nextInboundCheck(inbound) {
            if timer == nil || check < timerDeadline { armTimer(at: check, context: context) }
        }
        context.fireChannelReadComplete()
    }

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        if let problem = Self.hostProblem(head) {
            return refuse(.badRequest, detail: problem, context: context)
        }
        let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
        if (declared ?? 0) > 0 || head.headers.contains(name: "transfer-encoding"),
           case .stream(let maxSize) = responder.bodyMode(for: head) {
            return beginStreamedRequest(head, declared: declared, maxSize: maxSize, context: context)
        }
        if let declared, declared > configuration.maxBodySize {
            return refuse(.payloadTooLarge, detail: "request body of \(declared) bytes exceeds the limit of \(configuration.maxBodySize) bytes", context: context)
        }
        if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        state = .receiving(Receiving(head: head, body: nil, since: lastActivity))
    }

    private func receiveBody(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        guard case .receiving(var receiving) = state else { return }
        state = .idle  // drop the reference so appending does not copy the buffer
        if receiving.received + chunk.readableBytes > configuration.maxBodySize {
            return refuse(.payloadTooLarge, detail: "request body exceeds the limit of \(configuration.maxBodySize) bytes", context: context)
        }
        if var body = receiving.body {
            receiving.body = nil  // the same again: one reference while appending
            var chunk = chunk
            body.writeBuffer(&chunk)  // grows as NIO does: to the next power of two that fits
            receiving.body = body
        } else {
            // A copy of exactly what came (the chunk is a view of the decoder's read buffer).
            var body = context.channel.allocator.buffer(capacity: chunk.readableBytes)
            body.writeImmutableBuffer(chunk)
            receiving.body = body
        }
        state = .receiving(receiving)
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        guard case .receiving(let receiving) = state else { return }
        let head = receiving.head
        let body = receiving.body ?? context.channel.allocator.buffer(capacity: 0)
        // The request's arrival: complete, and about to be handed over. A pipelined request
        // reaches this point only once the previous response was written (see above).
        let receivedAt = monotonicNanoseconds()
        requestNumber &+= 1
        let cancellation = CancellationSignal()
        state = .responding(number: requestNumber, head: head, cancellation: cancellation)
        let request = HTTPServerRequest(
            method: head.method, uri: head.uri, version: head.version, headers: head.headers,
            body: body, remoteAddress: remoteAddress, cancellation: cancellation, receivedAt: receivedAt)
        let target = connectionTarget(context)
        let writer = HTTPResponseWriter(
            eventLoop: context.eventLoop, requestNumber: requestNumber, isHeadRequest: head.method == .HEAD, target: target)
        responder.respond(to: request, writer: writer)
    }

    /// A route that streams its body: checks the declared length against the route's limit,
    /// then hands the request over at once; the body follows into its stream.
    private func beginStreamedRequest(_ head: HTTPRequestHead, declared: Int?, maxSize: Int, context: ChannelHandlerContext) {
        if let declared, declared > maxSize {
            // Refused before any `100 Continue`: the client never sends the body.
            return refuse(.payloadTooLarge, detail: "request body of \(declared) bytes exceeds the limit of \(maxSize) bytes", context: context)
        }
        let expectsContinue = head.headers.first(name: "expect")?.lowercased() == "100-continue"
        let target = connectionTarget(context)
        let stream = RequestBodyStream(
            maxSize: maxSize, window: configuration.requestBodyWindow, expectsContinue: expectsContinue, target: target)
        inbound = Inbound(
            stream: stream, limit: maxSize, awaitingContinue: expectsContinue,
            readingSince: expectsContinue ? nil : lastActivity, lastProgress: lastActivity)
        // One socket read per read event while the body streams (sixteen would let one
        // wake-up bring up to 1 MiB past a full buffer); restored when the body ends.
        context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: 1).whenFailure { _ in }
        requestNumber &+= 1
        let cancellation = CancellationSignal()
        state = .responding(number: requestNumber, head: head, cancellation: cancellation)
        let request = HTTPServerRequest(
            method: head.method, uri: head.uri, version: head.version, headers: head.headers,
            body: context.channel.allocator.buffer(capacity: 0), remoteAddress: remoteAddress, cancellation: cancellation,
            receivedAt: monotonicNanoseconds(), bodyStream: stream)
        let writer = HTTPResponseWriter(
            eventLoop: context.eventLoop, requestNumber: requestNumber, isHeadRequest: head.method == .HEAD, target: target)
        responder.respond(to: request, writer: writer)
    }

    private func receiveStreamedBody(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        guard var inbound, !inbound.failed else { return }  // a failed body's rest is dropped
        inbound.received += chunk.readableBytes
        inbound.lastProgress = lastActivity
        if inbound.received > inbound.limit {
            // The reader throws (413); the connection closes after the answer.
            inbound.failed = true
            inbound.stream.fail(.tooLarge(limit: inbound.limit))
        } else if inbound.stream.append(chunk), let since = inbound.readingSince {
            // Full: stop reading until the reader takes the buffer down.
            inbound.readTime = inbound.readTime + (lastActivity - since)
            inbound.readingSince = nil
        }
        self.inbound = inbound
    }

    private func receiveStreamedEnd(context: ChannelHandlerContext) {
        guard let inbound, !inbound.failed else { return }  // a failed body keeps the connection closing
        inbound.stream.finish()
        self.inbound = nil
        context.channel.setOption(ChannelOptions.maxMessagesPerRead, value: 16).whenFailure { _ in }
    }

    /// The reader took the buffer down (from ``ConnectionTarget``): read again, unless the
    /// buffer filled up again meanwhile.
    fileprivate func resumeInbound(_ stream: RequestBodyStream, context: ChannelHandlerContext) {
        guard var inbound, inbound.stream === stream, !inbound.failed, inbound.readingSince == nil,
              !inbound.awaitingContinue, !stream.isReadingPaused else { return }
        let now = NIODeadline.now()
        inbound.readingSince = now
        inbound.lastProgress = now
        self.inbound = inbound
        passHeldRead(context: context)
        if let check = nextInboundCheck(inbound), timer == nil || check < timerDeadline { armTimer(at: check, context: context) }
    }

    /// The reader asked for bytes under `Expect: 100-continue` (from ``ConnectionTarget``):
    /// invites the body, unless the answer has started meanwhile.
    fileprivate func sendContinue(_ stream: RequestBodyStream, context: ChannelHandlerContext) {
        guard var inbound, inbound.stream === stream, inbound.awaitingContinue else { return }
        guard case .responding(_, let head, _) = state else { return }
        inbound.awaitingContinue = false
        let now = NIODeadline.now()
        if !stream.isReadingPaused { inbound.readingSince = now }
        inbound.lastProgress = now
        self.inbound = inbound
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        passHeldRead(context: context)
        if let check = nextInboundCheck(inbound), timer == nil || check < timerDeadline { armTimer(at: check, context: context) }
    }

    private func passHeldRead(context: ChannelHandlerContext) {
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    /// The answer is complete while the streamed body is not: the rest will not be read. The
    /// reader (if any still runs) is told; the connection must close (`true`).
    private func abandonInbound(context: ChannelHandlerContext) -> Bool {
        guard let inbound else { return false }
        inbound.stream.fail(.abandoned)
        self.inbound = nil
        passHeldRead(context: context)  // what still comes is read and dropped while closing
        return true
    }

    /// Closes the connection once an answer is written. With `linger`, the client may still
    /// be sending a body nobody reads: closing at once would reset the connection (and could
    /// destroy the answer in the client's buffers), so only the sending side is shut, input is
    /// read and dropped, and the connection closes when the client closes, or after 2 s.
    private static func close(_ channel: any Channel, linger: Bool) {
        guard linger else { return channel.close(promise: nil) }
        channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
        channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
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
    fileprivate func send(_ response: HTTPServerResponse, forRequest number: UInt64, context: ChannelHandlerContext) {
        guard case .responding(let current, let head, _) = state, current == number else { return }
        let abandoned = abandonInbound(context: context)
        let keepAlive = head.isKeepAlive && !abandoned
        // Move on *before* writing: writing the response's end makes `HTTPServerPipelineHandler`
        // deliver the next pipelined request at once, re-entrantly, and it must find us idle
        // (else it would be dropped and the connection would hang).
        if keepAlive {
            state = .idle
            lastActivity = .now()
            if timer == nil { armTimer(at: lastActivity + idleTimeout, context: context) }
        } else {
            state = .closing
        }
        write(response, version: head.version, method: head.method, keepAlive: keepAlive, linger: abandoned, context: context)
    }

    /// Where this connection's writers send; made once, when the connection becomes active
    /// (or, for a channel that never announced it, when its first request arrives).
    private func connectionTarget(_ context: ChannelHandlerContext) -> ConnectionTarget {
        if let target { return target }
        let made = ConnectionTarget(
            handler: NIOLoopBound((self, context), eventLoop: context.eventLoop),
            drainQueue: drainQueue ?? StreamDrainQueue(eventLoop: context.eventLoop))
        target = made
        return made
    }

    // MARK: streamed responses

    /// Writes a streamed response's head (the body follows from `stream`). A `HEAD` request
    /// gets the head and the end at once.
    fileprivate func beginStream(_ response: HTTPServerResponse, stream: HTTPBodyStream, forRequest number: UInt64, context: ChannelHandlerContext) {
        guard case .responding(let current, let requestHead, let cancellation) = state, current == number else {
            return stream.close(.clientGone)  // the connection moved on (closed) meanwhile
        }
        let isHTTP11 = requestHead.version.major > 1 || requestHead.version.minor >= 1
        // A body still streaming in: the connection closes after this answer (the handler may
        // read on while it streams out; what it leaves unread must not be taken for a request).
        let keepAlive = requestHead.isKeepAlive && isHTTP11 && inbound == nil
        var headers = response.headers
        headers.add(name: "date", value: DateHeader.current)
        if !headers.contains(name: "server") { headers.add(name: "server", value: configuration.serverName) }
        headers.remove(name: "content-length")
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: requestHead.version, status: response.status, headers: headers)
        guard head.isValidToSend else {
            logger.error("streamed response not sent: a header name or value has invalid characters",
                         metadata: ["status": "\(response.status.code)"])
            refuse(.internalServerError, detail: "the server produced an invalid response", context: context)
            return stream.close(.aborted)
        }
        let streaming = Streaming(
            number: number, head: requestHead, cancellation: cancellation, stream: stream, keepAlive: keepAlive, chunked: isHTTP11)
        state = .streaming(streaming)
        // A stream has its own limits (its timeout, heartbeats): no idle timer while it lasts;
        // it is armed again when the stream ends.
        timer?.cancel()
        timer = nil
        timerDeadline = .distantFuture
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if requestHead.method == .HEAD { stream.end() }
        drain(stream, context: context)
        context.flush()
        if !context.channel.isWritable, stream.channelWritabilityChanged(false) { drain(stream, context: context) }
    }

    /// Hands what `stream` has buffered to the channel (nothing while the channel is not
    /// writable), and its end once everything is written.
    fileprivate func drain(_ stream: HTTPBodyStream, context: ChannelHandlerContext) {
        // Not started yet (its head is on its way: that drains it), or over (the end's write
        // or the connection's close closes the stream).
        guard case .streaming(let streaming) = state, streaming.stream === stream else { return }
        let (parts, end) = stream.takeForWriting()
        if let raw = rawWriter {
            for part in parts {
                if !streaming.chunked {
                    raw.write(NIOAny(IOData.byteBuffer(part.bytes)), promise: nil)
                } else if let chunk = part.chunk {
                    raw.write(NIOAny(IOData.byteBuffer(chunk)), promise: nil)
                } else if part.bytes.readableBytes > 0 {
                    raw.write(NIOAny(IOData.byteBuffer(Self.chunkHeader(part.bytes.readableBytes))), promise: nil)
                    raw.write(NIOAny(IOData.byteBuffer(part.bytes)), promise: nil)
                    raw.write(NIOAny(IOData.byteBuffer(Self.crlf)), promise: nil)
                }
            }
        } else {
            for part in parts { context.write(wrapOutboundOut(.body(.byteBuffer(part.bytes))), promise: nil) }
        }
        if end {
            endStream(streaming, context: context)
        } else if !parts.isEmpty {
            (rawWriter ?? context).flush()
        }
    }

    /// Writes the end of a streamed response; the stream closes once it is flushed.
    private func endStream(_ streaming: Streaming, context: ChannelHandlerContext) {
        let abandoned = abandonInbound(context: context)
        // Move on before writing the end (see ``send(_:forRequest:context:)``).
        if streaming.keepAlive {
            state = .idle
            lastActivity = .now()
            if timer == nil { armTimer(at: lastActivity + idleTimeout, context: context) }
        } else {
            state = .closing
        }
        let channel = context.channel
        let stream = streaming.stream
        let keepAlive = streaming.keepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { result in
            if case .success = result { stream.close(.ended) } else { stream.close(.clientGone) }
            if !keepAlive { Self.close(channel, linger: abandoned) }
        }
    }

    /// Closes the connection under a stream that must not end normally.
    fileprivate func abortStream(_ stream: HTTPBodyStream, context: ChannelHandlerContext) {
        guard case .streaming(let streaming) = state, streaming.stream === stream else { return }
        state = .closing
        stream.close(.aborted)
        streaming.cancellation.cancel(reason: "stream aborted")
        context.close(promise: nil)
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
        linger: Bool = false, isRefusal: Bool = false, context: ChannelHandlerContext
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
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in Self.close(channel, linger: linger) }
        }
    }

    // MARK: timeouts

    /// One timer per connection, for the idle timeout and the body's limits. Reads only record
    /// the time; when the timer fires it checks what is due and re-arms itself for the next
    /// deadline, so a busy connection costs no timer operations per request. It is moved
    /// earlier only for a body spread over several reads (``channelReadComplete(context:)``).
    private func armTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        timerDeadline = deadline
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.timerFired(context: context)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        timerDeadline = .distantFuture
        let now = NIODeadline.now()
        let idleDeadline = lastActivity + idleTimeout
        switch state {
        case .responding, .streaming:
            // The request in progress has its own timeouts; re-armed after the response. A
            // body streaming in has the body's.
            if var inbound, inbound.isTimed {
                if let problem = inboundProblem(inbound, now: now) {
                    logger.debug("streamed request body too slow", metadata: [
                        "remote": "\(remoteAddress ?? "-")", "received": "\(inbound.received)", "problem": "\(problem)",
                    ])
                    inbound.failed = true
                    inbound.stream.fail(.timedOut(problem))
                    self.inbound = inbound
                } else if let check = nextInboundCheck(inbound) {
                    armTimer(at: check, context: context)
                }
            }
            return
        case .closing:
            return
        case .idle where now >= idleDeadline, .receiving where now >= idleDeadline:
            // Nothing for the idle timeout: a stalled request is closed without an answer.
            state = .closing
            context.close(promise: nil)
        case .idle:
            armTimer(at: idleDeadline, context: context)
        case .receiving(let receiving):
            if let problem = bodyProblem(receiving, now: now) {
                logger.debug("request body too slow; answering 408", metadata: [
                    "remote": "\(remoteAddress ?? "-")", "received": "\(receiving.received)", "problem": "\(problem)",
                ])
                return refuse(.requestTimeout, detail: problem, context: context)
            }
            armTimer(at: min(idleDeadline, nextBodyCheck(receiving) ?? idleDeadline), context: context)
        }
    }

    /// Why a body still arriving at `now` has run out of time, or `nil` if it has not.
    private func bodyProblem(_ receiving: Receiving, now: NIODeadline) -> String? {
        let elapsed = now - receiving.since
        if let bodyTimeout, elapsed >= bodyTimeout {
            return "request body not complete after \(elapsed.nanoseconds / 1_000_000) ms (\(receiving.received) bytes received)"
        }
        if configuration.minBodyRate > 0, elapsed >= minBodyRateGrace, elapsed > .zero {
            let rate = Double(receiving.received) / (Double(elapsed.nanoseconds) / 1e9)
            if rate < Double(configuration.minBodyRate) {
                return "request body too slow: \(Int(rate)) bytes/s, the minimum is \(configuration.minBodyRate) bytes/s"
            }
        }
        return nil
    }

    /// Why a streamed body has run out of time at `now`: no bytes for `server.body-timeout`
    /// while the connector read, or an average under `server.min-body-rate` over the time it
    /// read (after the grace period). `nil` if neither.
    private func inboundProblem(_ inbound: Inbound, now: NIODeadline) -> String? {
        guard let since = inbound.readingSince else { return nil }
        if let bodyTimeout, now - inbound.lastProgress >= bodyTimeout {
            return "no bytes of the request body for \((now - inbound.lastProgress).nanoseconds / 1_000_000) ms (\(inbound.received) bytes received)"
        }
        let reading = inbound.readTime + (now - since)
        if configuration.minBodyRate > 0, reading >= minBodyRateGrace, reading > .zero {
            let rate = Double(inbound.received) / (Double(reading.nanoseconds) / 1e9)
            if rate < Double(configuration.minBodyRate) {
                return "request body too slow: \(Int(rate)) bytes/s, the minimum is \(configuration.minBodyRate) bytes/s"
            }
        }
        return nil
    }

    /// When a streamed body must next be checked; `nil` while it is not timed (paused,
    /// awaiting `100 Continue`, failed) or no limit is on.
    private func nextInboundCheck(_ inbound: Inbound) -> NIODeadline? {
        guard inbound.isTimed, let since = inbound.readingSince else { return nil }
        var next = bodyTimeout.map { inbound.lastProgress + $0 }
        if configuration.minBodyRate > 0 {
            let (product, overflow) = Int64(inbound.received).multipliedReportingOverflow(by: 1_000_000_000)
            let covered = TimeAmount.nanoseconds(overflow ? .max : product / Int64(configuration.minBodyRate))
            let check = since + (max(minBodyRateGrace, covered) - inbound.readTime)
            next = min(next ?? check, check)
        }
        return next
    }

    /// When a body still arriving must next be checked: at the body timeout, and at the
    /// moment its average rate would fall under the minimum if nothing more arrived (never
    /// within the grace period). `nil` when neither limit is on.
    private func nextBodyCheck(_ receiving: Receiving) -> NIODeadline? {
        var next = bodyTimeout.map { receiving.since + $0 }
        if configuration.minBodyRate > 0 {
            let (product, overflow) = Int64(receiving.received).multipliedReportingOverflow(by: 1_000_000_000)
            let covered = TimeAmount.nanoseconds(overflow ? .max : product / Int64(configuration.minBodyRate))
            let check = receiving.since + max(minBodyRateGrace, covered)
            next = min(next ?? check, check)
        }
        return next
    }

    // MARK: helpers

    /// `\r\n`, shared.
    private static let crlf = ByteBuffer(string: "\r\n")

    /// A chunk's size line.
    private static func chunkHeader(_ length: Int) -> ByteBuffer {
        ByteBuffer(string: String(length, radix: 16) + "\r\n")
    }

    /// A NIO time amount from a duration, saturating (NIO's own initializer reads
    /// `Duration.components`, which traps past Int64.max seconds).
    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(Int64(clamping: duration.clampedNanoseconds))
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request must carry exactly one `Host` (any version: at most
    /// one); the server answers 400 otherwise. Counted without allocating.
    static func hostProblem(_ head: HTTPRequestHead) -> String? {
        var hosts = 0
        for header in head.headers where header.name.utf8.count == 4 {
            // ASCII case-insensitive: `| 0x20` lowercases the letters of "host".
            if header.name.utf8.elementsEqual("host".utf8, by: { $0 | 0x20 == $1 }) { hosts += 1 }
        }
        if hosts > 1 { return "more than one Host header" }
        let isHTTP11OrLater = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
        if hosts == 0, isHTTP11OrLater { return "an HTTP/1.1 request must have a Host header" }
        return nil
    }
}

/// A connection as its writers see it: whole responses and stream heads go to its event loop;
/// stream drains are batched per event loop (``StreamDrainQueue``).
final class ConnectionTarget: HTTPResponseTarget, HTTPStreamTarget, RequestBodyTarget {
    private let handler: NIOLoopBound<(HTTPConnectionHandler, ChannelHandlerContext)>
    private let drainQueue: StreamDrainQueue

    init(handler: NIOLoopBound<(HTTPConnectionHandler, ChannelHandlerContext)>, drainQueue: StreamDrainQueue) {
        self.handler = handler
        self.drainQueue = drainQueue
    }

    private var eventLoop: any EventLoop { handler.eventLoop }

    func send(_ response: HTTPServerResponse, requestNumber: UInt64) {
        if eventLoop.inEventLoop {
            let (connection, context) = handler.value
            connection.send(response, forRequest: requestNumber, context: context)
        } else {
            let handler = self.handler
            eventLoop.execute {
                let (connection, context) = handler.value
                connection.send(response, forRequest: requestNumber, context: context)
            }
        }
    }

    func startStream(_ head: HTTPServerResponse, capacity: Int, requestNumber: UInt64, isHeadRequest: Bool) -> HTTPBodyStream {
        let stream = HTTPBodyStream(capacity: capacity, isHeadOnly: isHeadRequest, target: self)
        let handler = self.handler
        let begin: @Sendable () -> Void = {
            let (connection, context) = handler.value
            connection.beginStream(head, stream: stream, forRequest: requestNumber, context: context)
        }
        if eventLoop.inEventLoop { begin() } else { eventLoop.execute(begin) }
        return stream
    }

    func scheduleDrain(_ stream: HTTPBodyStream, batch: StreamDrainBatch?) {
        if let batch { batch.add(self, stream, on: drainQueue) } else { drainQueue.enqueue(self, stream) }
    }

    /// On the event loop, from the drain queue.
    func drainNow(_ stream: HTTPBodyStream) {
        let (connection, context) = handler.value
        connection.drain(stream, context: context)
    }

    func resumeReading(_ stream: RequestBodyStream) {
        let handler = self.handler
        eventLoop.execute {
            let (connection, context) = handler.value
            connection.resumeInbound(stream, context: context)
        }
    }

    func sendContinue(_ stream: RequestBodyStream) {
        let handler = self.handler
        eventLoop.execute {
            let (connection, context) = handler.value
            connection.sendContinue(stream, context: context)
        }
    }

    func abort(_ stream: HTTPBodyStream) {
        let handler = self.handler
        eventLoop.execute {
            let (connection, context) = handler.value
            connection.abortStream(stream, context: context)
        }
    }
}
