import BrigadeExecutors
import BrigadeHTTP
import NIOCore
import Synchronization

/// What ``ResponseBodyEmitter`` and ``SseEmitter`` share: sends from any thread, held until
/// the stream is open; one completion; `onTimeout`, `onError` and `onCompletion` exactly once.
final class EmitterCore: ResponseStreamSource {
    /// How the response starts and how sends behave.
    struct Settings: Sendable {
        var timeout: StreamTimeout
        var head: Response
        /// `nil`: `streams.buffer-size`.
        var bufferSize: Int?
        /// `nil`: wait up to `streams.write-timeout`.
        var policy: StreamBufferPolicy?
        /// A frame written every period (an SSE comment), or `nil`.
        var heartbeat: (period: Duration, frame: ByteBuffer)?
    }

    private enum State {
        /// Not yet started: sends wait here (up to the buffer's size), and so does a completion.
        case detached(early: [ByteBuffer], earlyBytes: Int, completion: Completion?)
        /// The head is written; sends go to the stream.
        case attached(StreamExchange)
        /// Over (or never started: its request ended first).
        case ended(StreamEnding?)
    }

    enum Completion {
        case completed
        case failed(any Error)
    }

    private struct Locked {
        var state = State.detached(early: [], earlyBytes: 0, completion: nil)
        var timeoutCallbacks: [@Sendable () -> Void] = []
        var errorCallbacks: [@Sendable (any Error) -> Void] = []
        var completionCallbacks: [@Sendable () -> Void] = []
        var finished = false
        /// Where a callback registered after the end runs: a front thread of the server.
        var resumeOnFront: (@Sendable (@escaping @Sendable () -> Void) -> Void)?
        /// Async senders waiting for the stream to open (or for the end: `nil`).
        var openWaiters: [CheckedContinuation<StreamExchange?, Never>] = []
    }

    let settings: Settings
    private let locked = Mutex(Locked())

    init(_ settings: Settings) {
        self.settings = settings
    }

    var timeout: StreamTimeout { settings.timeout }

    // MARK: the application's side

    func send(_ buffer: ByteBuffer, chunk: ByteBuffer? = nil) throws {
        let (exchange, limit) = try locked.withLock { locked -> (StreamExchange?, Int?) in
            switch locked.state {
            case .detached(var early, let bytes, nil):
                let limit = settings.bufferSize ?? Configuration.Streams().bufferSize
                guard bytes + buffer.readableBytes <= limit || early.isEmpty else { return (nil, limit) }
                early.append(buffer)
                locked.state = .detached(early: early, earlyBytes: bytes + buffer.readableBytes, completion: nil)
                return (nil, nil)
            case .detached:
                throw StreamClosedError(ending: nil)
            case .attached(let exchange):
                return (exchange, nil)
            case .ended(let ending):
                throw StreamClosedError(ending: ending)
            }
        }
        if let limit { throw StreamBufferFullError(capacity: limit, waited: nil) }
        guard let exchange else { return }
        try exchange.send(buffer, chunk: chunk, policy: settings.policy ?? .wait(exchange.streamSettings.writeTimeout))
    }

    /// Sends, suspending while the buffer is full — and, before the stream opened, until it
    /// does (when what was sent before already fills the buffer).
    func send(_ buffer: ByteBuffer, chunk: ByteBuffer? = nil) async throws {
        enum Next { case send(StreamExchange), hold, wait }
        let limit = settings.bufferSize ?? Configuration.Streams().bufferSize
        let next = try locked.withLock { locked -> Next in
            switch locked.state {
            case .attached(let exchange): return .send(exchange)
            case .ended(let ending): throw StreamClosedError(ending: ending)
            case .detached(_, _, .some): throw StreamClosedError(ending: nil)
            case .detached(let early, let bytes, nil):
                return bytes + buffer.readableBytes <= limit || early.isEmpty ? .hold : .wait
            }
        }
        switch next {
        case .send(let exchange):
            try await exchange.send(buffer, chunk: chunk)
        case .hold:
            let hold: (ByteBuffer, ByteBuffer?) throws -> Void = { try self.send($0, chunk: $1) }
            try hold(buffer, chunk)
        case .wait:
            let opened = await withCheckedContinuation { (continuation: CheckedContinuation<StreamExchange?, Never>) in
                let resumeNow = locked.withLock { locked -> StreamExchange?? in
                    switch locked.state {
                    case .attached(let exchange): return .some(exchange)
                    case .ended: return .some(nil)
                    case .detached:
                        locked.openWaiters.append(continuation)
                        return nil
                    }
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
            guard let opened else { throw StreamClosedError(ending: endingSoFar) }
            try await opened.send(buffer, chunk: chunk)
        }
    }

    private var endingSoFar: StreamEnding? {
        locked.withLock { if case .ended(let ending) = $0.state { ending } else { nil } }
    }

    /// What became of an offer.
    enum Offer {
        /// Taken, by this exchange's stream (`nil`: held until the stream starts).
        case accepted(StreamExchange?)
        case full
        case closed
    }

    /// Sends `buffer` without ever blocking (a topic's fan-out): a full buffer drops the
    /// oldest parts when that is the emitter's policy, else refuses this part.
    func offer(_ buffer: ByteBuffer, chunk: ByteBuffer? = nil, batch: StreamDrainBatch? = nil) -> Offer {
        let exchange = locked.withLock { locked -> StreamExchange?? in
            switch locked.state {
            case .attached(let exchange): return .some(exchange)
            case .ended: return nil
            case .detached: return .some(nil)
            }
        }
        guard let exchange else { return .closed }
        guard let exchange else {
            // Not started yet: held like any early send.
            do { try send(buffer, chunk: chunk) } catch is StreamBufferFullError { return .full } catch { return .closed }
            return .accepted(nil)
        }
        do {
            try exchange.send(buffer, chunk: chunk, policy: settings.policy == .dropOldest ? .dropOldest : .fail, batch: batch)
            return .accepted(exchange)
        } catch is StreamBufferFullError {
            return .full
        } catch {
            return .closed
        }
    }

    @discardableResult
    func complete(_ completion: Completion) -> Bool {
        let exchange = locked.withLock { locked -> StreamExchange?? in
            switch locked.state {
            case .detached(let early, let bytes, nil):
                locked.state = .detached(early: early, earlyBytes: bytes, completion: completion)
                return .some(nil)
            case .attached(let exchange):
                return .some(exchange)
            case .detached, .ended:
                return nil
            }
        }
        guard let exchange else { return false }
        guard let exchange else { return true }
        switch completion {
        case .completed: return exchange.complete()
        case .failed(let error): return exchange.fail(error)
        }
    }

    func completed() -> Bool { complete(.completed) }
    func failed(_ error: any Error) -> Bool { complete(.failed(error)) }

    func onTimeout(_ callback: @escaping @Sendable () -> Void) {
        locked.withLock { $0.timeoutCallbacks.append(callback) }
    }

    func onError(_ callback: @escaping @Sendable (any Error) -> Void) {
        locked.withLock { $0.errorCallbacks.append(callback) }
    }

    func onCompletion(_ callback: @escaping @Sendable () -> Void) {
        let runNow = locked.withLock { locked -> (@Sendable (@escaping @Sendable () -> Void) -> Void)? in
            guard locked.finished else {
                locked.completionCallbacks.append(callback)
                return nil
            }
            return locked.resumeOnFront ?? { $0() }
        }
        runNow?(callback)
    }

    // MARK: the exchange's side

    func start(_ exchange: StreamExchange) {
        let resumer = exchange.frontResumer
        let failedEarly = locked.withLock { locked -> (any Error)? in
            locked.resumeOnFront = resumer
            if case .detached(_, _, .failed(let error)?) = locked.state { return error }
            return nil
        }
        // Completed with an error before it opened: the error is the response, as before any
        // head (what was sent before is not).
        if let failedEarly {
            exchange.fail(failedEarly)
            return
        }
        guard exchange.commit(settings.head, capacity: settings.bufferSize) != nil else { return }
        if let heartbeat = settings.heartbeat { exchange.startHeartbeat(every: heartbeat.period, frame: heartbeat.frame) }
        let (early, completion, waiters) = locked.withLock { locked -> ([ByteBuffer], Completion?, [CheckedContinuation<StreamExchange?, Never>]) in
            guard case .detached(let early, _, let completion) = locked.state else { return ([], nil, []) }
            locked.state = .attached(exchange)
            defer { locked.openWaiters.removeAll() }
            return (early, completion, locked.openWaiters)
        }
        for buffer in early { try? exchange.send(buffer, policy: .fail) }  // fit the buffer by construction
        for waiter in waiters { waiter.resume(returning: exchange) }
        switch completion {
        case .completed?: exchange.complete()
        case .failed(let error)?: exchange.fail(error)
        case nil: break
        }
    }

    func timedOut() {
        let callbacks = locked.withLock { $0.timeoutCallbacks }
        for callback in callbacks { callback() }
    }

    func ended(_ ending: StreamEnding, error: (any Error)?) {
        var waiters: [CheckedContinuation<StreamExchange?, Never>] = []
        let (errorCallbacks, completionCallbacks) = locked.withLock { locked -> ([@Sendable (any Error) -> Void], [@Sendable () -> Void]) in
            locked.state = .ended(ending)
            swap(&waiters, &locked.openWaiters)
            guard !locked.finished else { return ([], []) }
            locked.finished = true
            defer { locked.errorCallbacks.removeAll(); locked.completionCallbacks.removeAll() }
            return (error == nil ? [] : locked.errorCallbacks, locked.completionCallbacks)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        if let error { for callback in errorCallbacks { callback(error) } }
        for callback in completionCallbacks { callback() }
    }
}

