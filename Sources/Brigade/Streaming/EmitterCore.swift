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
    }

    let settings: Settings
    private let locked = Mutex(Locked())

    init(_ settings: Settings) {
        self.settings = settings
    }

    var timeout: StreamTimeout { settings.timeout }

    // MARK: the application's side

    func send(_ buffer: ByteBuffer) throws {
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
        try exchange.send(buffer, policy: settings.policy ?? .wait(exchange.streamSettings.writeTimeout))
    }

    func send(_ buffer: ByteBuffer) async throws {
        let exchange = try locked.withLock { locked -> StreamExchange? in
            if case .attached(let exchange) = locked.state { return exchange }
            if case .ended(let ending) = locked.state { throw StreamClosedError(ending: ending) }
            return nil
        }
        guard let exchange else {
            // Not started: held like any early send.
            let sendNow: (ByteBuffer) throws -> Void = { try self.send($0) }
            return try sendNow(buffer)
        }
        try await exchange.send(buffer)
    }

    /// What became of an offer.
    enum Offer {
        case accepted
        case full
        case closed
    }

    /// Sends `buffer` without ever blocking (a topic's fan-out): a full buffer drops the
    /// oldest parts when that is the emitter's policy, else refuses this part.
    func offer(_ buffer: ByteBuffer) -> Offer {
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
            do { try send(buffer) } catch is StreamBufferFullError { return .full } catch { return .closed }
            return .accepted
        }
        do {
            try exchange.send(buffer, policy: settings.policy == .dropOldest ? .dropOldest : .fail)
            return .accepted
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
        locked.withLock { $0.resumeOnFront = resumer }
        guard exchange.commit(settings.head, capacity: settings.bufferSize) != nil else { return }
        if let heartbeat = settings.heartbeat { exchange.startHeartbeat(every: heartbeat.period, frame: heartbeat.frame) }
        let (early, completion) = locked.withLock { locked -> ([ByteBuffer], Completion?) in
            guard case .detached(let early, _, let completion) = locked.state else { return ([], nil) }
            locked.state = .attached(exchange)
            return (early, completion)
        }
        for buffer in early { try? exchange.send(buffer, policy: .fail) }  // fit the buffer by construction
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
        let (errorCallbacks, completionCallbacks) = locked.withLock { locked -> ([@Sendable (any Error) -> Void], [@Sendable () -> Void]) in
            locked.state = .ended(ending)
            guard !locked.finished else { return ([], []) }
            locked.finished = true
            defer { locked.errorCallbacks.removeAll(); locked.completionCallbacks.removeAll() }
            return (error == nil ? [] : locked.errorCallbacks, locked.completionCallbacks)
        }
        if let error { for callback in errorCallbacks { callback(error) } }
        for callback in completionCallbacks { callback() }
    }
}

