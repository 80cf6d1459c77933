import BrigadeExecutors
import Synchronization

/// A result set later, from any thread (Spring's `DeferredResult<T>`): return it from a
/// handler and no thread waits for it.
///
/// ```swift
/// routes.get("/changes") { request in
///     let result = DeferredResult<[Book]>(timeout: .seconds(30), timeoutResult: [])
///     notifications.waitForChange { books in result.setResult(books) }   // any thread, later
///     return result
/// }
/// ```
/// The first completion wins: ``setResult(_:)`` and ``setErrorResult(_:)`` return `false`
/// when the result was already set or has expired (timeout, client gone). Setting it before
/// the handler returns is fine. Its value renders like a ``Callable``'s (the initialiser the
/// compiler picks decides). Callbacks run on front threads; ``onCompletion(_:)`` runs
/// exactly once, whatever ended the request.
public final class DeferredResult<T: Sendable>: HandlerResult {
    private struct Locked {
        var machine = StateMachine<AsyncExchange>()
        var timeoutCallbacks: [@Sendable () -> Void] = []
        var completionCallbacks: [@Sendable () -> Void] = []
        var finished = false
        /// Where a callback registered after the end runs: a front thread of the request's
        /// server (set when the request attaches).
        var resumeOnFront: (@Sendable (@escaping @Sendable () -> Void) -> Void)?
    }

    /// This result's timeout; `nil` uses `async.timeout`.
    public let timeout: Duration?
    private let timeoutResult: T?
    private let render: @Sendable (T) -> any ResponseGenerator
    private let locked = Mutex(Locked())
    private let endsAtShutdown = Atomic(false)

    /// Whether the request ends as soon as graceful shutdown begins — answered as on timeout
    /// (its timeout result or ``onTimeout(_:)`` callbacks, else `503` with `Retry-After`) —
    /// instead of holding the drain for up to `server.shutdown-grace`. For long polls, whose
    /// client simply asks again (and the load balancer sends it to another instance). Default
    /// `false`; ``WaiterRegistry`` sets it on the results it makes. Set it before returning
    /// the result from the handler.
    public var endsWhenShutdownBegins: Bool {
        get { endsAtShutdown.load(ordering: .relaxed) }
        set { endsAtShutdown.store(newValue, ordering: .relaxed) }
    }

    private init(timeout: Duration?, timeoutResult: T?, render: @escaping @Sendable (T) -> any ResponseGenerator) {
        self.timeout = timeout
        self.timeoutResult = timeoutResult
        self.render = render
    }

    /// A deferred result whose value renders itself.
    /// - Parameter timeout: How long the request may wait; `nil` uses `async.timeout`. On
    ///   timeout the answer is 503 unless an ``onTimeout(_:)`` callback sets a result.
    public convenience init(timeout: Duration? = nil) where T: ResponseGenerator {
        self.init(timeout: timeout, timeoutResult: nil) { $0 }
    }

    /// A deferred result whose value is sent as JSON.
    @_disfavoredOverload
    public convenience init(timeout: Duration? = nil) where T: Encodable {
        self.init(timeout: timeout, timeoutResult: nil) { JSONResponse(value: $0) }
    }

    /// A deferred result that answers `204 No Content` once set.
    public convenience init(timeout: Duration? = nil) where T == Void {
        self.init(timeout: timeout, timeoutResult: nil) { _ in NoContent() }
    }

    /// A deferred result that answers `timeoutResult` when the timeout passes.
    public convenience init(timeout: Duration? = nil, timeoutResult: T) where T: ResponseGenerator {
        self.init(timeout: timeout, timeoutResult: timeoutResult) { $0 }
    }

    /// A deferred result sent as JSON that answers `timeoutResult` when the timeout passes.
    @_disfavoredOverload
    public convenience init(timeout: Duration? = nil, timeoutResult: T) where T: Encodable {
        self.init(timeout: timeout, timeoutResult: timeoutResult) { JSONResponse(value: $0) }
    }

    /// Sets the result. Thread-safe; never blocks.
    /// - Returns: `true` if this call won; `false` if a result was already set or the
    ///   request expired (timed out, client gone).
    @discardableResult
    public func setResult(_ value: T) -> Bool { set(.value(render(value))) }

    /// Sets an error as the result; it is resolved by the error handlers like a handler's error.
    /// - Returns: `true` if this call won.
    @discardableResult
    public func setErrorResult(_ error: any Error) -> Bool { set(.error(error)) }

    /// Whether a result was set or the request expired.
    public var isSetOrExpired: Bool { locked.withLock { $0.machine.isSetOrExpired } }

    /// Whether a result was set.
    public var hasResult: Bool { locked.withLock { $0.machine.hasResult } }

    /// Runs when the timeout passes, before the timeout answer is chosen; it may call
    /// ``setResult(_:)`` to answer instead. On a front thread.
    public func onTimeout(_ callback: @escaping @Sendable () -> Void) {
        locked.withLock { $0.timeoutCallbacks.append(callback) }
    }

    /// Runs once the request is over — result, error, timeout or client gone. On a front
    /// thread, even when registered after the end.
    public func onCompletion(_ callback: @escaping @Sendable () -> Void) {
        let runNow = locked.withLock { locked -> (@Sendable (@escaping @Sendable () -> Void) -> Void)? in
            guard locked.finished else {
                locked.completionCallbacks.append(callback)
                return nil
            }
            return locked.resumeOnFront ?? { $0() }
        }
        runNow?(callback)
    }

    /// Waits for its result, holding no thread.
    public var handlerStep: HandlerStep { HandlerStep(.async(self)) }

    private func set(_ outcome: AsyncOutcome) -> Bool {
        switch locked.withLock({ $0.machine.set(outcome) }) {
        case .held: return true
        case .deliver(let exchange): return exchange.receive(outcome)
        case .reject: return false
        }
    }
}

extension DeferredResult: AsyncResultSource {
    func start(_ exchange: AsyncExchange) {
        let resumer = exchange.frontResumer
        let action = locked.withLock { locked in
            locked.resumeOnFront = resumer
            return locked.machine.attach(exchange)
        }
        switch action {
        case .wait: break
        case .deliver(let outcome): exchange.receive(outcome)
        case .invalid: exchange.receive(.error(HTTPError(.internalServerError, "this DeferredResult was already used by another request")))
        }
    }

    func timedOut() -> AsyncOutcome? {
        let callbacks = locked.withLock { $0.timeoutCallbacks }
        for callback in callbacks { callback() }
        locked.withLock { $0.machine.timeoutFinished() }
        return timeoutResult.map { .value(render($0)) }
    }

    func cancel(_ reason: AsyncCancelReason) {
        locked.withLock { locked in
            switch reason {
            case .timeout: locked.machine.timeoutStarted()
            case .clientGone: locked.machine.expire()
            }
        }
    }

    func finished() {
        let callbacks = locked.withLock { locked -> [@Sendable () -> Void] in
            guard !locked.finished else { return [] }
            locked.finished = true
            locked.machine.expire()
            defer { locked.completionCallbacks.removeAll() }
            return locked.completionCallbacks
        }
        for callback in callbacks { callback() }
    }
}
