import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An open-loop load generator: sends each phase's requests at its fixed rate whatever the
/// answers, over keep-alive connections taken from a pool (a new one is opened when none is
/// free, up to ``Options/maxConnections``; beyond, requests wait for a free one, their clock
/// running). A request without a complete answer within the deadline, or whose connection
/// closes before the answer, counts as "no answer". Requests take the kinds of
/// ``Options/requests`` in turn; each is counted in its phase's and its kind's ``Tally``.
///
/// Confined to one event loop: it is made there (``run(_:on:)``) and only its own scheduled
/// tasks, future callbacks and channel handlers — all on that loop — touch it.
final class LoadGenerator {
    /// What a run measured.
    struct Report: Sendable {
        /// One per phase of ``Options/phases``.
        let phases: [Tally]
        /// One per kind of request (``Options/kinds``), over every phase.
        let kinds: [Tally]
        /// Connections open (or opening) at once, at most.
        let peakConnections: Int
        /// When the first phase started, in seconds since 1970.
        let start: Double
        /// Every request, in the order they finished, when ``Options/logPath`` is set.
        let outcomes: [Outcome]
    }

    /// How one request ended.
    struct Outcome: Sendable {
        /// When it was due, from the start of the run.
        let due: Int64
        /// Its index in ``Options/kinds``.
        let kind: Int
        /// `nil`: no answer.
        let status: Int?
        /// From due to answer (or to the end, without one).
        let latency: Int64
    }

    /// One request, from the moment it was due to its answer or its end.
    fileprivate final class Request {
        let phase: Int
        let kind: Int
        let due: NIODeadline
        let method: HTTPMethod
        let uri: String
        let body: String?
        var connection: Connection?
        var timer: Scheduled<Void>?
        var finished = false

        init(phase: Int, kind: Int, number: Int, template: RequestTemplate, due: NIODeadline) {
            self.phase = phase
            self.kind = kind
            self.due = due
            self.method = template.method
            self.uri = template.uri(number)
            self.body = template.body(number)
        }
    }

    let options: Options
    private let loop: any EventLoop
    private let bootstrap: ClientBootstrap
    private let done: EventLoopPromise<Report>
    private var phases: [Tally]
    private var kinds: [Tally]
    /// The kind of each turn of the round-robin over ``Options/requests``.
    private let turns: [Int]
    private var outcomes: [Outcome] = []
    private var started = NIODeadline.now()
    private var startedWall = Date()
    /// How many requests were made: the next one's number is `firstNumber` + this.
    private var made = 0
    private var idle: [Connection] = []
    private var waiting = CircularBuffer<Request>()
    /// Open or opening.
    private var connections = 0
    private var peakConnections = 0
    private var outstanding = 0
    private var sendingDone = false

    /// Runs every phase on `loop` and reports once every request is answered or given up.
    static func run(_ options: Options, on loop: any EventLoop) -> EventLoopFuture<Report> {
        loop.flatSubmit { LoadGenerator(options: options, loop: loop).start() }
    }

    private init(options: Options, loop: any EventLoop) {
        self.options = options
        self.loop = loop
        self.done = loop.makePromise()
        self.phases = options.phases.map { Tally(expected: $0.requests) }
        let total = options.phases.reduce(0) { $0 + $1.requests }
        let kinds = options.kinds
        self.kinds = kinds.map { _ in Tally(expected: total / options.requests.count + 1) }
        self.turns = options.requests.map { request in kinds.firstIndex(of: request)! }
        self.bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(Int64(options.deadlineSeconds)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHTTPClientHandlers() }
            }
    }

    private func start() -> EventLoopFuture<Report> {
        startedWall = Date()
        started = .now()
        if options.logPath != nil { outcomes.reserveCapacity(options.phases.reduce(0) { $0 + $1.requests }) }
        startPhase(0, at: started)
        return done.futureResult
    }

    private func startPhase(_ index: Int, at start: NIODeadline) {
        guard index < phases.count else {
            sendingDone = true
            finishIfDone()
            return
        }
        tick(index, start: start)
    }

    /// Sends every request of phase `index` due by now (request n is due at start + n/rate),
    /// then comes back a millisecond later, or at the next phase's start.
    private func tick(_ index: Int, start: NIODeadline) {
        let phase = options.phases[index]
        let rate = Int64(phase.rate)
        let elapsed = (NIODeadline.now() - start).nanoseconds
        let due = min(phase.requests, Int(elapsed * rate / 1_000_000_000) + 1)
        while phases[index].sent < due {
            let n = Int64(phases[index].sent)
            phases[index].sent += 1
            send(makeRequest(phase: index, due: start + .nanoseconds(n * 1_000_000_000 / rate)))
        }
        if phases[index].sent == phase.requests {
            let next = start + .seconds(Int64(phase.seconds))
            loop.assumeIsolated().scheduleTask(deadline: next) { self.startPhase(index + 1, at: next) }
        } else {
            loop.assumeIsolated().scheduleTask(in: .milliseconds(1)) { self.tick(index, start: start) }
        }
    }

    /// The next request of the round-robin over ``Options/requests``, with the next number.
    private func makeRequest(phase: Int, due: NIODeadline) -> Request {
        let turn = made % options.requests.count
        let number = options.firstNumber + made
        made += 1
        kinds[turns[turn]].sent += 1
        return Request(phase: phase, kind: turns[turn], number: number, template: options.requests[turn], due: due)
    }

    private func send(_ request: Request) {
        outstanding += 1
        let deadline = request.due + .seconds(Int64(options.deadlineSeconds))
        request.timer = loop.assumeIsolated().scheduleTask(deadline: deadline) { self.expire(request) }
        dispatch(request)
    }

    private func dispatch(_ request: Request) {
        if let connection = idle.popLast() {
            connection.send(request)
        } else if connections < options.maxConnections {
            connect(for: request)
        } else {
            waiting.append(request)
        }
    }

    private func connect(for request: Request) {
        connections += 1
        peakConnections = max(peakConnections, connections)
        bootstrap.connect(host: options.host, port: options.port).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                let connection = Connection(generator: self)
                do {
                    try channel.pipeline.syncOperations.addHandler(connection)
                    connection.send(request)
                } catch {
                    channel.close(promise: nil)  // its handler is not there: count it down here
                    self.connectionClosed(nil, request: request)
                }
            case .failure:
                self.connectionClosed(nil, request: request)
            }
        }
    }

    /// A connection is free again: it takes the oldest waiting request, or goes idle.
    fileprivate func release(_ connection: Connection) {
        if let next = nextWaiting() {
            connection.send(next)
        } else {
            idle.append(connection)
        }
    }

    /// A connection closed (or never opened); `request`, if any, was on it unanswered.
    fileprivate func connectionClosed(_ connection: Connection?, request: Request?) {
        connections -= 1
        if let connection { idle.removeAll { $0 === connection } }
        if let request { finish(request, status: nil) }
        if let next = nextWaiting() { dispatch(next) }  // there is room for a new connection now
    }

    /// The oldest waiting request that has not expired.
    private func nextWaiting() -> Request? {
        while let next = waiting.popFirst() {
            if !next.finished { return next }
        }
        return nil
    }

    fileprivate func answered(_ request: Request, status: Int) {
        finish(request, status: status)
    }

    private func expire(_ request: Request) {
        let connection = request.connection
        finish(request, status: nil)
        connection?.close()  // an answer would come too late, and the connection is not reusable
    }

    private func finish(_ request: Request, status: Int?) {
        guard !request.finished else { return }
        request.finished = true
        request.timer?.cancel()
        request.connection = nil
        let latency = (NIODeadline.now() - request.due).nanoseconds
        if let status {
            phases[request.phase].answered(status: status, latency: latency)
            kinds[request.kind].answered(status: status, latency: latency)
        } else {
            phases[request.phase].noAnswer += 1
            kinds[request.kind].noAnswer += 1
        }
        if options.logPath != nil {
            outcomes.append(Outcome(due: (request.due - started).nanoseconds, kind: request.kind, status: status, latency: latency))
        }
        outstanding -= 1
        finishIfDone()
    }

    private func finishIfDone() {
        guard sendingDone, outstanding == 0 else { return }
        let connections = idle
        idle = []
        for connection in connections { connection.close() }
        done.succeed(Report(
            phases: phases, kinds: kinds, peakConnections: peakConnections,
            start: startedWall.timeIntervalSince1970, outcomes: outcomes))
    }
}

/// One keep-alive connection: one request at a time (no pipelining).
private final class Connection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let generator: LoadGenerator
    private var context: ChannelHandlerContext?
    private var request: LoadGenerator.Request?
    private var status: Int?
    private var keepAlive = true

    init(generator: LoadGenerator) { self.generator = generator }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func send(_ request: LoadGenerator.Request) {
        guard !request.finished else {  // it expired while this connection was opening
            generator.release(self)
            return
        }
        guard let context else { return }
        self.request = request
        request.connection = self
        status = nil
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri)
        head.headers.add(name: "host", value: generator.options.host)
        if let body = request.body {
            let buffer = context.channel.allocator.buffer(string: body)
            head.headers.add(name: "content-type", value: "application/json")
            head.headers.add(name: "content-length", value: String(buffer.readableBytes))
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        } else {
            context.write(wrapOutboundOut(.head(head)), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            guard let request, let status else { return }
            self.request = nil
            generator.answered(request, status: status)
            if keepAlive { generator.release(self) } else { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let request = self.request
        self.request = nil
        self.context = nil
        generator.connectionClosed(self, request: request)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func close() { context?.close(promise: nil) }
}
