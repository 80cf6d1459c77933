/// How an asynchronous result ended, as the request's state machine sees it.
enum AsyncOutcome: Sendable {
    /// A value to render (a `ResponseGenerator`, an `Encodable`, or `Void`).
    case value(any Sendable)
    /// An error to resolve through the error handlers.
    case error(any Error)
}

/// Where an asynchronous result comes from: `Callable`, `WebAsyncTask`, `DeferredResult`,
/// an `async` handler. The request's ``AsyncExchange`` drives it.
protocol AsyncResultSource: Sendable {
    /// This source's own timeout; `nil` uses `async.timeout`.
    var timeout: Duration? { get }
    /// Whether its work runs on a back executor (`Callable`, `WebAsyncTask`: timed as
    /// back-queue and back) rather than elsewhere (`DeferredResult`, `async` handlers: async).
    var runsOnBackExecutor: Bool { get }
    /// Starts producing the result; called on the front thread right after the handler
    /// returned. Delivers through `exchange.receive(_:)`.
    func start(_ exchange: AsyncExchange)
    /// The timeout won: runs the source's timeout callbacks (on a front thread) and returns
    /// the outcome to render, or `nil` for the default 503.
    func timedOut() -> AsyncOutcome?
    /// Gives a source a chance to turn an error into a value (`WebAsyncTask.onError`); on a
    /// front thread.
    func recover(from error: any Error) -> AsyncOutcome
    /// The result is no longer wanted: drop queued work, cancel tasks. For a timeout,
    /// ``timedOut()`` follows on a front thread.
    func cancel(_ reason: AsyncCancelReason)
    /// The request is over, whatever ended it: runs `onCompletion` callbacks, exactly once.
    func finished()
}

extension AsyncResultSource {
    func recover(from error: any Error) -> AsyncOutcome { .error(error) }
    var runsOnBackExecutor: Bool { false }
}

/// Why an asynchronous result is no longer wanted.
enum AsyncCancelReason: Sendable {
    case timeout
    case clientGone
}
