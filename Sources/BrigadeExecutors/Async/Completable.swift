import Synchronization

/// A value that a piece of work produces later, on another thread: Brigade's
/// `CompletableFuture`, the result of an `@Async`-style service method.
///
/// ```swift
/// struct ReportService {
///     let executor: BackExecutor   // app.executors["reports"]
///     func authors() -> Completable<[AuthorReport]> {
///         executor.submit { try repository.authors() }   // runs on back:reports
///     }
/// }
///
/// // in a controller: rendered when it completes, with the request's timeout rules
/// func authors(_ request: Request) -> DeferredResult<[AuthorReport]> {
///     DeferredResult(reports.authors(), timeout: .seconds(10))
/// }
/// // in async code
/// let authors = try await reports.authors().value
/// ```
///
/// It completes once — with a value, an error, or a cancellation — and the first completion
/// wins. Compose it with ``map(_:)``, ``flatMap(_:)``, ``recover(_:)``, ``and(_:)`` and
/// ``all(_:)`` (Java's `thenApply`, `thenCompose`, `exceptionally`, `thenCombine`, `allOf`);
/// the closures run on the thread that completes the source — a back thread — or on the
/// caller when the source is already complete, so keep them short.
///
/// A completable belongs to whoever consumes it: cancelling a consumer — a completable made
/// from it, a ``DeferredResult`` whose request ended without it, a task awaiting ``value`` —
/// cancels it, and with it the work behind it (queued work never runs; running work sees its
/// cancellation signal, so a database query in it is cancelled). Hand one completable to
/// several consumers only if none of them cancels.
///
/// Thread-safe; nothing blocks; no callback runs under its lock.
public final class Completable<T: Sendable>: Sendable {
    private enum State {
        case pending(Pending)
        case done(Result<T, any Error>)
    }

    private struct Pending {
        /// In registration order.
        var callbacks: [@Sendable (Result<T, any Error>) -> Void] = []
        var cancellers: [@Sendable (String) -> Void] = []
    }

    private let state: Mutex<State>

    /// A completable that completes when ``succeed(_:)``, ``fail(_:)`` or ``cancel(reason:)``
    /// is called — from any thread, once.
    public init() {
        state = Mutex(.pending(Pending()))
    }

    /// A completable already completed with `result`.
    public init(_ result: Result<T, any Error>) {
        state = Mutex(.done(result))
    }

    /// A completable already completed with `value`.
    public static func succeeded(_ value: T) -> Completable { Completable(.success(value)) }

    /// A completable already failed with `error`.
    public static func failed(_ error: any Error) -> Completable { Completable(.failure(error)) }

    // MARK: completing

    /// Completes with `value`.
    /// - Returns: `true` if this call completed it; `false` if it already was.
    @discardableResult
    public func succeed(_ value: T) -> Bool { complete(with: .success(value)) }

    /// Completes with `error`.
    /// - Returns: `true` if this call completed it; `false` if it already was.
    @discardableResult
    public func fail(_ error: any Error) -> Bool { complete(with: .failure(error)) }

    /// Completes with `result`; the first completion wins.
    /// - Returns: `true` if this call completed it; `false` if it already was.
    @discardableResult
    public func complete(with result: Result<T, any Error>) -> Bool {
        guard let pending = finish(with: result) else { return false }
        for callback in pending.callbacks { callback(result) }
        return true
    }

    /// Completes it with `CancellationError` and tells the work behind it (the handlers given
    /// to ``onCancel(_:)``): queued work is taken back, running work sees its cancellation.
    /// - Parameter reason: Why, for the work's cancellation signal and its logs.
    /// - Returns: `true` if this call cancelled it; `false` if it was already complete.
    @discardableResult
    public func cancel(reason: String = "the result is no longer wanted") -> Bool {
        let result: Result<T, any Error> = .failure(CancellationError())
        guard let pending = finish(with: result) else { return false }
        for canceller in pending.cancellers { canceller(reason) }
        for callback in pending.callbacks { callback(result) }
        return true
    }

    private func finish(with result: Result<T, any Error>) -> Pending? {
        state.withLock { state -> Pending? in
            guard case .pending(let pending) = state else { return nil }
            state = .done(result)
            return pending
        }
    }

    // MARK: observing

    /// Whether it has completed (with a value, an error or a cancellation).
    public var isComplete: Bool {
        state.withLock { if case .done = $0 { true } else { false } }
    }

    /// Its result once complete; `nil` before.
    public var result: Result<T, any Error>? {
        state.withLock { if case .done(let result) = $0 { result } else { nil } }
    }

    /// Runs `callback` with the result once complete: on the completing thread, or at once on
    /// the caller when already complete. Keep it short; it must not block.
    public func whenComplete(_ callback: @escaping @Sendable (Result<T, any Error>) -> Void) {
        register(callback)
    }

    /// For the producer of the value: runs `handler` if it is cancelled by ``cancel(reason:)``
    /// — on the cancelling thread, or at once when it already was — and never once it
    /// completed otherwise.
    public func onCancel(_ handler: @escaping @Sendable (String) -> Void) {
        let runNow = state.withLock { state -> Bool in
            switch state {
            case .pending(var pending):
                pending.cancellers.append(handler)
                state = .pending(pending)
                return false
            case .done(.failure(let error)):
                return error is CancellationError
            case .done:
                return false
            }
        }
        if runNow { handler("the result is no longer wanted") }
    }

    /// The value, awaited without blocking a thread.
    ///
    /// Cancelling the awaiting task cancels this completable (see the type's rule on
    /// ownership) and throws `CancellationError`.
    /// - Throws: The error it failed with; `CancellationError` when it was cancelled.
    public var value: T {
        get async throws {
            if let result { return try result.get() }
            let waiter = Waiter()
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                    waiter.set(continuation)
                    register { result in waiter.resume(with: result) }
                }
            } onCancel: {
                cancel(reason: "the awaiting task was cancelled")
            }
        }
    }

    /// Adds `callback`, or runs it now when complete.
    private func register(_ callback: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let completed = state.withLock { state -> Result<T, any Error>? in
            switch state {
            case .pending(var pending):
                pending.callbacks.append(callback)
                state = .pending(pending)
                return nil
            case .done(let result):
                return result
            }
        }
        if let completed { callback(completed) }
    }

    /// One task awaiting ``value``: its continuation, resumed once.
    private final class Waiter: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

        func set(_ continuation: CheckedContinuation<T, any Error>) {
            self.continuation.withLock { $0 = continuation }
        }

        func resume(with result: Result<T, any Error>) {
            continuation.withLock { $0.take() }?.resume(with: result)
        }
    }
}
