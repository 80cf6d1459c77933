/// How an asynchronous result ended, as the request's state machine sees it.
enum AsyncOutcome: Sendable {
    /// A value to render on a front thread. Each source wraps its `T` in the generator its
    /// initialiser chose at compile time (the value itself, JSON, or `204`).
    case value(any ResponseGenerator)
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
    /// Whether the request ends as soon as graceful shutdown begins (a long poll) rather than
    /// being waited for within the grace.
    var endsWhenShutdownBegins: Bool { get }
    /// Starts producing the result, once the exchange is armed (timeout, departure watch);
    /// on the front thread that ran the handler, with the request's context bound. Delivers
    /// through `exchange.receive(_:)`.
    func start(_ exchange: AsyncExchange)
    /// The timeout won: runs the source's timeout callbacks (on a front thread) and returns
    /// the outcome to render, or `nil` for the default 503.
    func timedOut() -> AsyncOutcome?
    /// Gives a source a chance to turn an error into a value (`WebAsyncTask.onError`); on a
    /// front thread.
    func recover(from error: any Error) -> AsyncOutcome
    /// The result is no longer wanted: drop queued work, cancel tasks. For a timeout,
    /// ``timedOut()`` follows on a front thread. May come before ``start(_:)`` has returned.
    func cancel(_ reason: AsyncCancelReason)
    /// The request is over, whatever ended it: runs `onCompletion` callbacks, exactly once.
    /// On a front thread.
    func finished()
}

extension AsyncResultSource {
    func recover(from error: any Error) -> AsyncOutcome { .error(error) }
    var runsOnBackExecutor: Bool { false }
    var endsWhenShutdownBegins: Bool { false }
}

/// Why an asynchronous result is no longer wanted.
enum AsyncCancelReason: Sendable {
    case timeout
    case clientGone
}
