import BrigadeExecutors
import DequeModule
import NIOCore

/// The body of a streamed response: fed from any thread, written by the connection's event
/// loop, bounded.
///
/// A response that streams is a head (written at once), then any number of parts, then the
/// end — chunked on HTTP/1.1, delimited by the connection's close on HTTP/1.0, no body at all
/// for `HEAD`. Parts wait in a bounded buffer (``capacity`` bytes) until the event loop hands
/// them to the socket; while the socket's buffer is full the loop stops taking them, so a
/// client that stops reading holds at most ``capacity`` bytes here (plus the channel's and
/// the kernel's buffers). What a writer does when the buffer is full is its choice:
/// ``write(_:)`` fails at once, ``write(_:droppingOldest:)`` makes room, and
/// ``write(_:waitingUntil:)`` blocks a back thread until there is room.
///
/// The stream closes exactly once: when its end was written (``Closure/ended``), when the
/// client went away (``Closure/clientGone``), or when the application aborted it
/// (``Closure/aborted``). Writes after that return ``WriteResult/closed``.
public final class HTTPBodyStream: @unchecked Sendable {
    // @unchecked Sendable: `state` and `space` are read and written only with `lock` held
    // (`space` is a condition on that lock); the other stored properties are immutable.

    /// How the stream closed.
    public enum Closure: Sendable, Hashable {
        /// Its end was written: the client has the whole body.
        case ended
        /// The connection closed before the end.
        case clientGone
        /// The application closed the connection before the end (``abort()``).
        case aborted
    }

    /// What became of a write.
    public enum WriteResult: Sendable, Hashable {
        /// Buffered, to be written.
        case accepted
        /// The buffer is full; nothing was buffered.
        case full
        /// The stream is closed (or its end was requested); nothing was buffered.
        case closed
    }

    /// The bytes that may wait to be written.
    public let capacity: Int
    /// Whether the request was `HEAD`: the head is sent, the body never is.
    public let isHeadOnly: Bool
    private let target: any HTTPStreamTarget
    private let lock = PThreadLock()
    /// Where blocked writers wait for room; made by the first one (most streams never have
    /// one, and a condition variable is an allocation). Protected by `lock`.
    private var space: PThreadLock.Condition?
    private var state = State()  // protected by lock

    /// A part waiting to be written: its bytes, and the same bytes already framed as an
    /// HTTP/1.1 chunk when the writer had them (one event shared by many streams is framed
    /// once, not once per stream).
    struct Part {
        var bytes: ByteBuffer
        var chunk: ByteBuffer?
    }

    private struct State {
        var pending = Deque<Part>()
        var pendingBytes = 0
        /// A drain is scheduled on the loop and not yet run.
        var drainScheduled = false
        var endRequested = false
        var closed: Closure?
        /// Whether the channel accepts more (its outbound buffer is below the high mark).
        var channelWritable = true
        /// Bytes handed to the channel so far.
        var bytesWritten = 0
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        /// Threads blocked in ``write(_:waitingUntil:)``.
        var blockedWriters = 0
        var closeCallbacks: [@Sendable (Closure) -> Void] = []
    }

    init(capacity: Int, isHeadOnly: Bool, target: any HTTPStreamTarget) {
        self.capacity = max(1, capacity)
        self.isHeadOnly = isHeadOnly
        self.target = target
    }

    // MARK: writing, from any thread

    /// Buffers `buffer` unless the buffer is full. Never blocks.
    @discardableResult
    public func write(_ buffer: ByteBuffer) -> WriteResult {
        enqueue(buffer, droppingOldest: false).result
    }

    /// Buffers `buffer`, dropping the oldest parts waiting if that is what makes room (a
    /// ticker's subscriber that fell behind wants the latest price, not every price). Never
    /// blocks.
    /// - Parameters:
    ///   - chunk: The same bytes already framed as an HTTP/1.1 chunk (``chunk(_:)``), when the
    ///     writer shares one part between many streams: a chunked connection writes it as is.
    ///   - batch: The burst this write belongs to: its drain is scheduled when the burst ends.
    /// - Returns: The result and how many parts were dropped.
    public func write(
        _ buffer: ByteBuffer, chunk: ByteBuffer? = nil, droppingOldest: Bool, batch: StreamDrainBatch? = nil
    ) -> (result: WriteResult, dropped: Int) {
        enqueue(buffer, chunk: chunk, droppingOldest: droppingOldest, batch: batch)
    }

    /// `bytes` framed as one HTTP/1.1 chunk: its length in hex, CRLF, the bytes, CRLF.
    public static func chunk(_ bytes: ByteBuffer) -> ByteBuffer {
        var chunk = ByteBuffer()
        let length = String(bytes.readableBytes, radix: 16)
        chunk.reserveCapacity(length.utf8.count + bytes.readableBytes + 4)
        chunk.writeString(length)
        chunk.writeStaticString("\r\n")
        chunk.writeImmutableBuffer(bytes)
        chunk.writeStaticString("\r\n")
        return chunk
    }

    /// Buffers `buffer`, blocking the calling thread while the buffer is full, until
    /// `deadline` (``monotonicNanoseconds()``). For blocking producers on back threads; on an
    /// event loop it never blocks (``WriteResult/full`` at once).
    public func write(_ buffer: ByteBuffer, chunk: ByteBuffer? = nil, waitingUntil deadline: UInt64) -> WriteResult {
        if ThreadTier.current == .eventLoop { return write(buffer, chunk: chunk, droppingOldest: false).result }
        lock.lock()
        while state.closed == nil, !state.endRequested, !state.pending.isEmpty,
              state.pendingBytes + buffer.readableBytes > capacity {
            state.blockedWriters += 1
            let condition = space ?? PThreadLock.Condition(lock)
            space = condition
            let woken = condition.wait(untilUptimeNanoseconds: deadline)
            state.blockedWriters -= 1
            if !woken { break }
        }
        lock.unlock()
        return write(buffer, chunk: chunk, droppingOldest: false).result
    }

    /// Suspends until the buffer has room for `bytes` (or is empty), or the stream closed.
    public func waitForSpace(for bytes: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = lock.withLock { () -> Bool in
                if state.closed != nil || state.endRequested || state.pending.isEmpty || state.pendingBytes + bytes <= capacity {
                    return true
                }
                state.spaceWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Asks for the end, written once every buffered part is. Later writes are refused.
    public func end() {
        let schedule = lock.withLock { () -> Bool in
            guard state.closed == nil, !state.endRequested else { return false }
            state.endRequested = true
            return requestDrainLocked()
        }
        wakeWriters()
        if schedule { target.scheduleDrain(self, batch: nil) }
    }

    /// Closes the connection now, without the end: the client sees a truncated body (a
    /// stalled client, an error after the head was sent).
    public func abort() {
        target.abort(self)
    }

    /// Calls `callback` once the stream closed (at once if it already did), on the thread
    /// that closed it — usually the event loop: keep it short, hand work elsewhere.
    public func onClose(_ callback: @escaping @Sendable (Closure) -> Void) {
        let closed = lock.withLock { () -> Closure? in
            if let closed = state.closed { return closed }
            state.closeCallbacks.append(callback)
            return nil
        }
        if let closed { callback(closed) }
    }

    /// How it closed; `nil` while open.
    public var closure: Closure? { lock.withLock { state.closed } }

    /// Bytes of body handed to the connection so far.
    public var bytesWritten: Int { lock.withLock { state.bytesWritten } }

    /// Bytes buffered, not yet handed to the connection.
    public var bufferedBytes: Int { lock.withLock { state.pendingBytes } }

    /// Whether data waits that the client is not taking: parts are buffered, or the
    /// channel's own buffer is full. Together with ``bytesWritten`` not moving, what a
    /// heartbeat calls a stalled client.
    public var isBackedUp: Bool { lock.withLock { !state.pending.isEmpty || !state.channelWritable } }

    private func enqueue(
        _ buffer: ByteBuffer, chunk: ByteBuffer? = nil, droppingOldest: Bool, batch: StreamDrainBatch? = nil
    ) -> (result: WriteResult, dropped: Int) {
        var dropped = 0
        let (result, schedule) = lock.withLock { () -> (WriteResult, Bool) in
            guard state.closed == nil, !state.endRequested else { return (.closed, false) }
            if isHeadOnly { return (.accepted, false) }  // a HEAD response has no body to write
            if state.pendingBytes + buffer.readableBytes > capacity, !state.pending.isEmpty {
                guard droppingOldest else { return (.full, false) }
                while state.pendingBytes + buffer.readableBytes > capacity, let oldest = state.pending.popFirst() {
                    state.pendingBytes -= oldest.bytes.readableBytes
                    dropped += 1
                }
            }
            state.pending.append(Part(bytes: buffer, chunk: chunk))
            state.pendingBytes += buffer.readableBytes
            return (.accepted, requestDrainLocked())
        }
        if schedule { target.scheduleDrain(self, batch: batch) }
        return (result, dropped)
    }

    /// Marks a drain as scheduled; `true` if the caller must schedule it.
    private func requestDrainLocked() -> Bool {
        guard !state.drainScheduled, state.channelWritable else { return false }
        state.drainScheduled = true
        return true
    }

    private func wakeWriters() {
        let waiters = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            space?.broadcast()
            defer { state.spaceWaiters.removeAll() }
            return state.spaceWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: the event loop's side

    /// What the loop writes now: every buffered part (none while the channel is not
    /// writable), and whether the end follows them.
    func takeForWriting() -> (parts: Deque<Part>, end: Bool) {
        var waiters: [CheckedContinuation<Void, Never>] = []
        var parts = Deque<Part>()
        let end = lock.withLock { () -> Bool in
            state.drainScheduled = false
            guard state.closed == nil, state.channelWritable else { return false }
            swap(&parts, &state.pending)
            state.bytesWritten += state.pendingBytes
            state.pendingBytes = 0
            // Writers waiting for room get it now (checked here, under the one lock, so the
            // common case — nobody waits — costs nothing more).
            if !parts.isEmpty {
                if state.blockedWriters > 0 { space?.broadcast() }
                if !state.spaceWaiters.isEmpty { swap(&waiters, &state.spaceWaiters) }
            }
            return state.endRequested
        }
        for waiter in waiters { waiter.resume() }
        return (parts, end)
    }

    /// The channel's writability changed; `true` if the loop should drain now.
    func channelWritabilityChanged(_ writable: Bool) -> Bool {
        lock.withLock {
            state.channelWritable = writable
            guard writable, state.closed == nil, !state.pending.isEmpty || state.endRequested else { return false }
            state.drainScheduled = true
            return true
        }
    }

    /// Closes the stream (once); runs the close callbacks on the calling thread.
    func close(_ closure: Closure) {
        let callbacks = lock.withLock { () -> [@Sendable (Closure) -> Void]? in
            guard state.closed == nil else { return nil }
            state.closed = closure
            state.pending.removeAll()
            state.pendingBytes = 0
            defer { state.closeCallbacks.removeAll() }
            return state.closeCallbacks
        }
        wakeWriters()
        for callback in callbacks ?? [] { callback(closure) }
    }
}

/// Where a stream's parts go: the connection (through its event loop), or an in-process
/// test client.
protocol HTTPStreamTarget: Sendable {
    /// Runs ``HTTPBodyStream/takeForWriting()`` on the target's own thread, soon — or, with a
    /// batch, once the batch's burst ends.
    func scheduleDrain(_ stream: HTTPBodyStream, batch: StreamDrainBatch?)
    /// Closes the connection, the stream with ``HTTPBodyStream/Closure/aborted``.
    func abort(_ stream: HTTPBodyStream)
}
