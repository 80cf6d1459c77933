import BrigadeExecutors
import DequeModule
import NIOCore

/// A request body read while it arrives: filled by the connection's event loop, read by the
/// handler — blocking (``read()``, ``read(into:)``, ``readAll(upTo:)``) on a front or back
/// thread, or as an `AsyncSequence` of `ByteBuffer`s in an `async` handler.
///
/// **Backpressure.** Received bytes wait in a bounded buffer (``window`` bytes). When it is
/// full the connector stops reading the socket (it no longer asks the channel to read), so the
/// client's sends block in TCP; when the reader has taken it down to half, reading resumes.
/// A slow reader therefore holds about one window, plus one socket read (at most 64 KiB),
/// whatever the body's size.
///
/// **`Expect: 100-continue`.** The interim `100 Continue` is sent when the reader first asks
/// for bytes: a request refused before that (an interceptor, an error thrown by the handler)
/// never invites its body, and its connection is closed after the answer.
///
/// **Ends.** A read returns `nil` at the body's end, or throws ``RequestBodyError``: the
/// route's limit passed (`413`), the client stalled or was too slow (`server.body-timeout`,
/// `server.min-body-rate`; `408`), the client left, or the response was already sent.
///
/// One reader at a time: the stream hands each chunk out once.
public final class RequestBodyStream: @unchecked Sendable {
    // @unchecked Sendable: `state` is read and written only with `lock` held (`dataReady` is
    // a condition on that lock, and is itself created under it); the other stored properties
    // are immutable.

    /// The most the body may hold, in bytes (the route's `maxSize`).
    public let maxSize: Int
    /// The bytes that may wait for the reader before the connector stops reading the socket.
    public let window: Int
    private let target: (any RequestBodyTarget)?
    private let lock = PThreadLock()
    /// Where blocked readers wait for bytes; made by the first one. Protected by `lock`.
    private var dataReady: PThreadLock.Condition?
    private var state: State  // protected by lock

    /// What the buffer has seen so far; for diagnostics and tests.
    public struct Statistics: Sendable, Hashable {
        /// Bytes received from the client so far.
        public var received: Int
        /// Bytes handed to the reader so far.
        public var consumed: Int
        /// Bytes waiting for the reader now.
        public var buffered: Int
        /// The most bytes that ever waited for the reader at once.
        public var peakBuffered: Int
        /// How many times the connector stopped reading the socket because the buffer was full.
        public var pauses: Int
    }

    private enum End {
        case open
        case finished
        case failed(RequestBodyError)
    }

    private struct State {
        var chunks = Deque<ByteBuffer>()
        var statistics = Statistics(received: 0, consumed: 0, buffered: 0, peakBuffered: 0, pauses: 0)
        var end = End.open
        /// The connector stopped reading because the buffer is full.
        var readingPaused = false
        /// `Expect: 100-continue` and the interim answer is not sent yet.
        var continuePending: Bool
        var blockedReaders = 0
        var asyncReader: CheckedContinuation<Void, Never>?
        /// Tests waiting for the connector to pause (``waitForPause(untilUptimeNanoseconds:)``).
        var pauseWaiters = 0
    }

    /// What a reader does next, decided under the lock.
    private enum Step {
        case chunk(ByteBuffer, resumeReading: Bool)
        case end
        case failed(RequestBodyError)
        case sendContinue
        case wait
    }

    init(maxSize: Int, window: Int, expectsContinue: Bool, target: any RequestBodyTarget) {
        self.maxSize = maxSize
        self.window = Swift.max(1, window)
        self.target = target
        state = State(continuePending: expectsContinue)
    }

    /// A stream over a body that is already whole (a buffered route, an in-process request):
    /// the same reading API over the same bytes.
    public init(complete body: ByteBuffer) {
        maxSize = body.readableBytes
        window = Swift.max(1, body.readableBytes)
        target = nil
        state = State(continuePending: false)
        if body.readableBytes > 0 { state.chunks.append(body) }
        state.statistics.received = body.readableBytes
        state.statistics.buffered = body.readableBytes
        state.statistics.peakBuffered = body.readableBytes
        state.end = .finished
    }

    // MARK: reading, blocking

    /// The next bytes of the body, blocking the calling thread until some arrive; `nil` at the
    /// end. For front and back threads (a `Callable`, a `StreamingResponseBody`).
    /// - Throws: ``RequestBodyError`` (limit passed, client stalled or gone, response already
    ///   sent; on an event loop at once, never blocking it).
    public func read() throws -> ByteBuffer? {
        if ThreadTier.current == .eventLoop { throw RequestBodyError.onEventLoop }
        while true {
            lock.lock()
            var step = takeLocked()
            while case .wait = step {
                state.blockedReaders += 1
                let condition = dataReady ?? PThreadLock.Condition(lock)
                dataReady = condition
                condition.wait()
                state.blockedReaders -= 1
                step = takeLocked()
            }
            lock.unlock()
            if let result = try perform(step) { return result }
        }
    }

    /// Appends the next bytes of the body to `buffer`, blocking like ``read()``.
    /// - Returns: How many bytes were appended; `0` at the end.
    /// - Throws: ``RequestBodyError``.
    @discardableResult
    public func read(into buffer: inout ByteBuffer) throws -> Int {
        guard var chunk = try read() else { return 0 }
        return buffer.writeBuffer(&chunk)
    }

    /// The rest of the body, whole, blocking like ``read()``: for bodies known to be small
    /// enough to hold.
    /// - Parameter limit: The most bytes to accept.
    /// - Throws: ``RequestBodyError/tooLarge(limit:)`` past `limit`; what ``read()`` throws.
    public func readAll(upTo limit: Int) throws -> ByteBuffer {
        var all = ByteBuffer()
        while var chunk = try read() {
            guard all.readableBytes + chunk.readableBytes <= limit else { throw RequestBodyError.tooLarge(limit: limit) }
            all.writeBuffer(&chunk)
        }
        return all
    }

    // MARK: reading, async

    /// The next bytes of the body, suspending (not blocking) until some arrive; `nil` at the end.
    /// - Throws: ``RequestBodyError``; `CancellationError` when the task is cancelled.
    public func next() async throws -> ByteBuffer? {
        while true {
            let step = lock.withLock { takeLocked() }
            if case .wait = step {
                try Task.checkCancellation()
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let ready = lock.withLock { () -> Bool in
                            if case .wait = peekLocked() {
                                state.asyncReader = continuation
                                return false
                            }
                            return true
                        }
                        if ready { continuation.resume() }
                    }
                } onCancel: {
                    lock.withLock { () -> CheckedContinuation<Void, Never>? in
                        defer { state.asyncReader = nil }
                        return state.asyncReader
                    }?.resume()
                }
                continue
            }
            if let result = try perform(step) { return result }
        }
    }

    /// What the body has seen so far.
    public var statistics: Statistics { lock.withLock { state.statistics } }

    /// Runs a step decided under the lock; `nil`: decide again.
    private func perform(_ step: Step) throws -> ByteBuffer?? {
        switch step {
        case .chunk(let chunk, let resumeReading):
            if resumeReading { target?.resumeReading(self) }
            return .some(chunk)
        case .end:
            return .some(nil)
        case .failed(let error):
            throw error
        case .sendContinue:
            target?.sendContinue(self)
            return nil
        case .wait:
            return nil
        }
    }

    /// Takes the next chunk, or says what else to do. With the lock held.
    private func takeLocked() -> Step {
        let step = peekLocked()
        switch step {
        case .chunk(let chunk, let resume):
            state.chunks.removeFirst()
            state.statistics.buffered -= chunk.readableBytes
            state.statistics.consumed += chunk.readableBytes
            if resume { state.readingPaused = false }
        case .sendContinue:
            state.continuePending = false
        case .end, .failed, .wait:
            break
        }
        return step
    }

    /// What ``takeLocked()`` would do, changing nothing. With the lock held.
    private func peekLocked() -> Step {
        if case .failed(let error) = state.end { return .failed(error) }
        if let chunk = state.chunks.first {
            let after = state.statistics.buffered - chunk.readableBytes
            return .chunk(chunk, resumeReading: state.readingPaused && after <= window / 2)
        }
        if case .finished = state.end { return .end }
        if state.continuePending { return .sendContinue }
        return .wait
    }

    private func wakeReadersLocked() -> CheckedContinuation<Void, Never>? {
        if state.blockedReaders > 0 || state.pauseWaiters > 0 { dataReady?.broadcast() }
        defer { state.asyncReader = nil }
        return state.asyncReader
    }

    // MARK: the event loop's side

    /// Buffers bytes that arrived; `true` when the buffer is now full and the connector must
    /// stop reading (until ``RequestBodyTarget/resumeReading(_:)``). Bytes arriving after
    /// the stream ended are dropped.
    func append(_ chunk: ByteBuffer) -> Bool {
        let (pause, reader) = lock.withLock { () -> (Bool, CheckedContinuation<Void, Never>?) in
            state.statistics.received += chunk.readableBytes
            guard case .open = state.end else { return (false, nil) }
            state.chunks.append(chunk)
            state.statistics.buffered += chunk.readableBytes
            state.statistics.peakBuffered = Swift.max(state.statistics.peakBuffered, state.statistics.buffered)
            if !state.readingPaused, state.statistics.buffered >= window {
                state.readingPaused = true
                state.statistics.pauses += 1
            }
            return (state.readingPaused, wakeReadersLocked())
        }
        reader?.resume()
        return pause
    }

    /// Whether the connector must not read now (the buffer is full).
    var isReadingPaused: Bool { lock.withLock { state.readingPaused } }

    /// The body's end arrived.
    func finish() {
        end(.finished)
    }

    /// The body cannot be read to its end: the next read throws `error` (buffered bytes are
    /// dropped). Only the first end counts.
    func fail(_ error: RequestBodyError) {
        end(.failed(error))
    }

    private func end(_ end: End) {
        let reader = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            guard case .open = state.end else { return nil }
            state.end = end
            if case .failed = end {
                state.chunks.removeAll()
                state.statistics.buffered = 0
            }
            state.continuePending = false
            return wakeReadersLocked()
        }
        reader?.resume()
    }

    /// Whether the body ended (whole or failed).
    var hasEnded: Bool {
        lock.withLock {
            if case .open = state.end { return false }
            return true
        }
    }

    /// Blocks until the connector has paused reading at least once, or until `deadline`
    /// (``monotonicNanoseconds()``); whether it did. For tests proving backpressure.
    package func waitForPause(untilUptimeNanoseconds deadline: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while state.statistics.pauses == 0 {
            state.pauseWaiters += 1
            let condition = dataReady ?? PThreadLock.Condition(lock)
            dataReady = condition
            let woken = condition.wait(untilUptimeNanoseconds: deadline)
            state.pauseWaiters -= 1
            if !woken { break }
        }
        return state.statistics.pauses > 0
    }
}

extension RequestBodyStream: AsyncSequence {
    public typealias Element = ByteBuffer

    /// Iterates the body's chunks as they arrive (one iterator per stream).
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: RequestBodyStream

        /// The next chunk; `nil` at the end.
        /// - Throws: ``RequestBodyError``; `CancellationError`.
        public mutating func next() async throws -> ByteBuffer? {
            try await stream.next()
        }
    }

    /// An iterator over the body's chunks.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }
}

/// Where a streamed request body's reader reaches the connection: from the reader's thread,
/// each call hops to the connection's event loop.
protocol RequestBodyTarget: Sendable {
    /// The reader took the buffer down: read the socket again (unless it is full again).
    func resumeReading(_ stream: RequestBodyStream)
    /// The reader asks for bytes under `Expect: 100-continue`: send `100 Continue`.
    func sendContinue(_ stream: RequestBodyStream)
}
