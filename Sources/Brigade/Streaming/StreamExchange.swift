import BrigadeExecutors
import BrigadeHTTP
import NIOCore
import Synchronization

/// One streamed response: the request is parked here (holding no thread) while its producer —
/// an emitter fed from any thread, a body writing on a back thread, an async sequence —
/// commits the head and writes the body, until it completes, fails, times out, or its client
/// goes away. Its ``StateMachine`` decides, under one lock, what each of those does; the
/// request then finishes on a front thread (`onCompletion`, `afterCompletion`, the
/// observers), exactly once.
final class StreamExchange: PendingExchange {
    private struct Locked {
        var machine = StateMachine()
        /// The parked request; taken by whatever finishes it.
        var exchange: RequestExchange?
        var stream: HTTPBodyStream?
        var timer: Scheduler.ScheduledTask?
        var heartbeat: Scheduler.ScheduledTask?
        var registration: CancellationSignal.Registration?
        /// The producer's error, for `onError` and `afterCompletion`.
        var failure: (any Error)?
        /// The head as written, for `afterCompletion` and the observers.
        var head: Response?
        var committedAt: UInt64 = 0
        /// How it ended, once decided.
        var ending: StreamEnding?
    }

    private let source: any ResponseStreamSource
    /// The request's cancellation signal (its context is the parked exchange's: one copy per
    /// stream, of ten thousands, is enough).
    private let cancellation: CancellationSignal
    /// How long the stream may last; `nil` for ever.
    let timeout: Duration?
    private let services: ExchangeServices
    private let settings: Configuration.Streams
    private let locked: Mutex<Locked>
    /// Parts sent so far.
    private let parts = Atomic<Int>(0)
    /// The body's stream once committed: read without the lock by every send.
    private let committedStream = AtomicLazyReference<HTTPBodyStream>()

    private init(_ exchange: RequestExchange, source: any ResponseStreamSource, timeout: Duration?) {
        self.source = source
        self.cancellation = exchange.request.context.cancellation
        self.timeout = timeout
        self.services = exchange.services
        self.settings = exchange.services.streams
        self.locked = Mutex(Locked(exchange: exchange))
    }

    /// The request, as the handler saw it.
    var request: Request? { locked.withLock { $0.exchange?.request } }

    /// The request's context (deadline included): what the producer runs with.
    var context: WorkContext {
        locked.withLock { $0.exchange?.request.context }
            ?? WorkContext(requestID: "-", logger: services.logger, cancellation: cancellation)
    }

    /// The back executors a producer may run on.
    var executors: BackExecutors { services.executors }

    /// Counts parts a batch sent, in the metrics (once per batch, not per part).
    func countSent(_ count: Int) {
        services.streamMetrics.sent(parts: count)
    }

    /// Runs a closure on a front thread of the request's server (holding the server's
    /// services, not this exchange: a source may keep it after the request ended).
    var frontResumer: @Sendable (@escaping @Sendable () -> Void) -> Void {
        let services = self.services
        return { services.resumeOnFront($0) }
    }

    /// The stream settings in force (`streams.*`).
    var streamSettings: Configuration.Streams { settings }

    /// Parks `exchange` and starts `source`: sets the deadline, tells the interceptors
    /// (`afterConcurrentHandlingStarted`), arms the timeout and the departure watch. On the
    /// front thread that ran the handler.
    static func begin(_ exchange: RequestExchange, source: any ResponseStreamSource) {
        let timeout = source.timeout.resolved(default: exchange.services.defaultTimeout)
        if let timeout { exchange.request.context.deadline = .now + timeout }
        for interceptor in exchange.interceptorsThatRan { interceptor.afterConcurrentHandlingStarted(exchange.request) }
        exchange.stopwatch.endFront()
        StreamExchange(exchange, source: source, timeout: timeout).open()
    }

    private func open() {
        services.pending.insert(self)
        if let timeout {
            let timer = Scheduler.shared.schedule(after: timeout) { [self] in perform(locked.withLock { $0.machine.timeout() }) }
            locked.withLock { $0.timer = timer }
        }
        let registration = cancellation.onCancel { [self] _ in perform(locked.withLock { $0.machine.clientGone() }) }
        let opening = locked.withLock { locked in
            locked.registration = registration
            return locked.machine.state == .opening
        }
        guard opening else { return }  // over already: timed out or abandoned while arming
        if services.pending.isShuttingDown {
            shutdownExpired()  // opened while the server drains: its client reconnects elsewhere
            return
        }
        WorkContext.$current.withValue(context) { source.start(self) }
    }

    // MARK: the producer's side, from any thread

    /// Writes the head (after the interceptors' `postHandle` ran on it, with `X-Request-Id`
    /// and `Server-Timing` as they stand) and returns the stream for the body; `nil` if the
    /// request is over (timed out, client gone, server stopping).
    func commit(_ head: Response, capacity: Int? = nil) -> HTTPBodyStream? {
        let (action, exchange) = locked.withLock { locked in (locked.machine.commit(), locked.exchange) }
        guard action == .commit, let exchange else { return nil }
        var head = head
        do {
            for interceptor in exchange.interceptorsThatRan.reversed() { try interceptor.postHandle(exchange.request, response: &head) }
        } catch {
            exchange.request.logger.error("postHandle failed on a stream's head; the head is sent as it was", metadata: ["error": "\(error)"])
        }
        exchange.stopwatch.lap(.render)
        guard let stream = exchange.commitStream(head, capacity: capacity ?? settings.bufferSize) else {
            // A response was written already (cannot happen: one writer per request); end the
            // request rather than leave it open.
            perform(locked.withLock { locked in
                let action = locked.machine.streamClosed(endWritten: false, aborted: false)
                if case .finish(let ending) = action { locked.ending = ending }
                return action
            })
            return nil
        }
        let committed = locked.withLock { locked -> Bool in
            guard locked.exchange != nil else { return false }
            locked.stream = stream
            _ = committedStream.storeIfNil(stream)
            locked.head = head
            locked.committedAt = monotonicNanoseconds()
            return true
        }
        services.streamMetrics.opened()
        // From now on the stream's close says when the client left: the departure watch goes.
        let registration = locked.withLock { locked in
            defer { locked.registration = nil }
            return locked.registration
        }
        cancellation.remove(registration)
        stream.onClose { [self] closure in
            perform(locked.withLock { locked in
                let action = locked.machine.streamClosed(endWritten: closure == .ended, aborted: closure == .aborted)
                if case .finish(let ending) = action { locked.ending = ending }
                return action
            })
        }
        if !committed { stream.abort() }
        return stream
    }

    /// Sends `buffer` as one part of the body.
    /// - Parameters:
    ///   - policy: What to do when the stream's buffer is full.
    /// - Throws: ``StreamClosedError`` once the stream ended or its client left;
    ///   ``StreamBufferFullError`` when the buffer stays full (policy `.fail`, or `.wait`
    ///   past its time).
    func send(_ buffer: ByteBuffer, chunk: ByteBuffer? = nil, policy: StreamBufferPolicy, batch: StreamDrainBatch? = nil) throws {
        guard let stream = committedStream.load() else { throw StreamClosedError(ending: nil) }
        let result: HTTPBodyStream.WriteResult
        switch policy {
        case .fail:
            result = stream.write(buffer, chunk: chunk, droppingOldest: false, batch: batch).result
        case .dropOldest:
            let (written, dropped) = stream.write(buffer, chunk: chunk, droppingOldest: true, batch: batch)
            if dropped > 0 { services.streamMetrics.dropped(dropped) }
            result = written
        case .wait(let limit):
            let started = monotonicNanoseconds()
            result = stream.write(buffer, chunk: chunk, waitingUntil: started &+ limit.clampedNanoseconds)
            if result == .full { throw StreamBufferFullError(capacity: stream.capacity, waited: limit) }
        }
        switch result {
        case .accepted:
            parts.add(1, ordering: .relaxed)
            if batch == nil { services.streamMetrics.sent(parts: 1) }  // a batch's sender counts its parts once
        case .full:
            throw StreamBufferFullError(capacity: stream.capacity, waited: nil)
        case .closed:
            throw StreamClosedError(ending: endingSoFar)
        }
    }

    /// Sends `buffer`, suspending while the stream's buffer is full.
    /// - Throws: ``StreamClosedError`` once the stream ended or its client left.
    func send(_ buffer: ByteBuffer, chunk: ByteBuffer? = nil) async throws {
        guard let stream = committedStream.load() else { throw StreamClosedError(ending: nil) }
        while true {
            switch stream.write(buffer, chunk: chunk, droppingOldest: false).result {
            case .accepted:
                parts.add(1, ordering: .relaxed)
                services.streamMetrics.sent(parts: 1)
                return
            case .full:
                await stream.waitForSpace(for: buffer.readableBytes)
            case .closed:
                throw StreamClosedError(ending: endingSoFar)
            }
        }
    }

    /// How the stream ended, once it did (or is ending); `nil` before.
    private var endingSoFar: StreamEnding? {
        locked.withLock { locked in
            if let ending = locked.ending { return ending }
            if case .closing(let ending) = locked.machine.state { return ending }
            return locked.stream?.closure == .clientGone ? .clientGone : nil
        }
    }

    /// The producer is done: the end is written after what is buffered.
    /// - Returns: `false` if the stream had ended already.
    @discardableResult
    func complete(_ ending: StreamEnding = .completed) -> Bool {
        let action = locked.withLock { $0.machine.end(ending) }
        perform(action)
        return action != .none
    }

    /// The producer failed: before the head, the error is the response (through the error
    /// handlers); after it, the connection is closed.
    /// - Returns: `false` if the stream had ended already.
    @discardableResult
    func fail(_ error: any Error) -> Bool {
        let action = locked.withLock { locked -> StateMachine.Action in
            let action = locked.machine.fail()
            if action != .none { locked.failure = error }
            return action
        }
        perform(action)
        return action != .none
    }

    /// Writes `frame` every `period` (a comment, for SSE) on the shared scheduler — no thread
    /// or task per stream — and ends the stream as stalled when, twice in a row, data was
    /// waiting and nothing more reached the client.
    func startHeartbeat(every period: Duration, frame: ByteBuffer) {
        scheduleHeartbeat(period: period, frame: frame, lastWritten: -1, stalledBeats: 0)
    }

    private func scheduleHeartbeat(period: Duration, frame: ByteBuffer, lastWritten: Int, stalledBeats: Int) {
        let task = Scheduler.shared.schedule(after: period) { [self] in
            guard let stream = locked.withLock({ $0.stream }), stream.closure == nil else { return }
            let written = stream.bytesWritten
            let stalled = stream.isBackedUp && written == lastWritten ? stalledBeats + 1 : 0
            if stalled >= 2 {
                context.logger.info("stream stalled: the client stopped reading; closing it", metadata: ["buffered": "\(stream.bufferedBytes)"])
                complete(.stalled)
                return
            }
            _ = stream.write(frame)
            scheduleHeartbeat(period: period, frame: frame, lastWritten: written, stalledBeats: stalled)
        }
        let keep = locked.withLock { locked -> Bool in
            guard locked.stream?.closure == nil else { return false }
            locked.heartbeat = task
            return true
        }
        if !keep { task.cancel() }
    }

    /// Ends the stream now: the server is shutting down.
    func shutdownExpired() { complete(.shutdown) }

    /// Ended as soon as shutdown begins.
    var endsWhenShutdownBegins: Bool { true }

    // MARK: acting on the machine's decisions

    private func perform(_ action: StateMachine.Action) {
        switch action {
        case .none, .commit:
            break
        case .endStream:
            locked.withLock { $0.stream }?.end()
        case .abortStream:
            locked.withLock { $0.stream }?.abort()
        case .runTimeoutCallbacks:
            cancellation.cancel(reason: "stream timed out after \(timeout.map { "\($0)" } ?? "-")")
            services.resumeOnFront { [self] in
                WorkContext.$current.withValue(context) { source.timedOut() }
                perform(locked.withLock { $0.machine.timeoutCallbacksFinished() })
            }
        case .respondWithError:
            guard let (exchange, failure) = takeForFinish() else { return }
            services.resumeOnFront { [self] in
                exchange.stopwatch.lap(.asyncWait)
                WorkContext.$current.withValue(exchange.request.context) {
                    exchange.fail(failure ?? HTTPError(.internalServerError)) { source.ended(.failed, error: failure) }
                }
                services.pending.remove(self)
            }
        case .expireBeforeCommit(let ending):
            guard let (exchange, _) = takeForFinish() else { return }
            cancellation.cancel(reason: ending == .timedOut ? "stream timed out before its head" : "server shutting down")
            services.resumeOnFront { [self] in
                exchange.stopwatch.lap(.asyncWait)
                WorkContext.$current.withValue(exchange.request.context) {
                    if ending == .timedOut { source.timedOut() }
                    let error: any Error =
                        ending == .timedOut
                        ? AsyncRequestTimeoutError(timeout: timeout ?? .zero, route: exchange.request.route)
                        : HTTPError.serviceUnavailable(detail: "the server is shutting down; try again shortly")
                    exchange.fail(error) { source.ended(ending, error: nil) }
                }
                services.pending.remove(self)
            }
        case .abandon:
            guard let (exchange, _) = takeForFinish() else { return }
            services.resumeOnFront { [self] in
                WorkContext.$current.withValue(exchange.request.context) {
                    source.ended(.clientGone, error: ClientDisconnectedError())
                    exchange.abandon()
                }
                services.pending.remove(self)
            }
        case .finish(let ending):
            guard let (exchange, failure) = takeForFinish() else { return }
            let (head, committedAt, bytes) = locked.withLock { ($0.head, $0.committedAt, $0.stream?.bytesWritten ?? 0) }
            let parts = parts.load(ordering: .relaxed)
            services.streamMetrics.closed(bytes: bytes)
            if ending != .completed, ending != .shutdown { cancellation.cancel(reason: "stream ended: \(ending)") }
            services.resumeOnFront { [self] in
                exchange.stopwatch.lap(.asyncWait)
                let error: (any Error)? =
                    switch ending {
                    case .clientGone, .stalled: failure ?? ClientDisconnectedError()
                    case .failed: failure
                    default: nil
                    }
                WorkContext.$current.withValue(exchange.request.context) {
                    source.ended(ending, error: error)
                    let record = StreamRecord(
                        ending: ending, parts: parts, bytes: bytes,
                        duration: .nanoseconds(Int64(clamping: monotonicNanoseconds() &- committedAt)))
                    exchange.finishStream(head: head ?? Response(status: .ok), record: record, error: error)
                }
                services.pending.remove(self)
            }
        }
    }

    /// Takes the parked request out for whatever finishes it, cancelling the timer, the
    /// heartbeat and the departure watch; `nil` if something else took it.
    private func takeForFinish() -> (RequestExchange, (any Error)?)? {
        let (exchange, failure, timer, heartbeat, registration) = locked.withLock { locked in
            defer { locked.exchange = nil; locked.timer = nil; locked.heartbeat = nil; locked.registration = nil }
            return (locked.exchange, locked.failure, locked.timer, locked.heartbeat, locked.registration)
        }
        timer?.cancel()
        heartbeat?.cancel()
        cancellation.remove(registration)
        return exchange.map { ($0, failure) }
    }
}

/// A stream's timeout: the default (`async.timeout`), none, or its own.
enum StreamTimeout: Sendable, Hashable {
    case `default`
    case never
    case after(Duration)

    init(_ duration: Duration?) { self = duration.map { .after($0) } ?? .never }

    func resolved(default value: Duration) -> Duration? {
        switch self {
        case .default: value
        case .never: nil
        case .after(let duration): duration
        }
    }
}

/// What a write does when the stream's buffer is full.
public enum StreamBufferPolicy: Sendable, Hashable {
    /// Wait up to this long for room (blocking the calling thread; never on an event loop,
    /// where it fails at once), then fail with ``StreamBufferFullError``. For producers on
    /// back threads.
    case wait(Duration)
    /// Fail at once with ``StreamBufferFullError``: the producer decides.
    case fail
    /// Drop the oldest parts waiting to make room (counted as slow-subscriber drops): for a
    /// ticker, the latest value matters, not every value.
    case dropOldest
}

/// Where a streamed response's body comes from: an emitter, a body written on a back thread,
/// an async sequence. Its ``StreamExchange`` drives it.
protocol ResponseStreamSource: Sendable {
    /// The stream's timeout.
    var timeout: StreamTimeout { get }
    /// Starts the producer, which commits the head (``StreamExchange/commit(_:capacity:)``)
    /// and writes the body. On the front thread that ran the handler, with the request's
    /// context bound.
    func start(_ exchange: StreamExchange)
    /// The timeout passed: runs the `onTimeout` callbacks (on a front thread); they may
    /// complete the stream themselves.
    func timedOut()
    /// The stream is over: runs `onError` (with `error`, for an ending that has one) and
    /// `onCompletion`, exactly once. On a front thread.
    func ended(_ ending: StreamEnding, error: (any Error)?)
}
