import BrigadeExecutors
import Synchronization

/// A ``Callable`` with its own timeout, executor and callbacks (Spring's `WebAsyncTask<T>`).
///
/// ```swift
/// return WebAsyncTask(timeout: .seconds(2), executor: "reports") { try repository.slowAggregate() }
///     .onTimeout { Report.empty }
///     .onCompletion { metrics.count() }
/// ```
/// Callbacks run on front threads.
public struct WebAsyncTask<T: Sendable>: ResponseGenerator {
    /// This task's timeout; `nil` uses `async.timeout`.
    public let timeout: Duration?
    /// The executor that runs the body; `nil` is the default back executor.
    public let executor: String?
    private let task: BackTask<T>
    private var timeoutHandler: (@Sendable () throws -> T)?
    private var errorHandler: (@Sendable (any Error) throws -> T)?
    private var completionHandler: (@Sendable () -> Void)?
    private let once = Once()

    /// Creates a task.
    /// - Parameters:
    ///   - timeout: How long the body may take; `nil` uses `async.timeout`.
    ///   - executor: The name of a back executor (`executors.<name>.*`); `nil` is the default.
    ///   - body: The slow work, on a back thread.
    public init(timeout: Duration? = nil, executor: String? = nil, _ body: @escaping @Sendable () throws -> T) {
        self.timeout = timeout
        self.executor = executor
        self.task = BackTask(executor: executor, body: body)
    }

    /// The value to answer with when the timeout passes (instead of 503). Runs on a front thread.
    public func onTimeout(_ handler: @escaping @Sendable () throws -> T) -> WebAsyncTask {
        var copy = self
        copy.timeoutHandler = handler
        return copy
    }

    /// The value to answer with when the body throws (instead of resolving the error).
    /// Runs on a front thread; rethrow to resolve the error as usual.
    public func onError(_ handler: @escaping @Sendable (any Error) throws -> T) -> WebAsyncTask {
        var copy = self
        copy.errorHandler = handler
        return copy
    }

    /// Runs once when the request is over, whatever ended it. On a front thread.
    public func onCompletion(_ handler: @escaping @Sendable () -> Void) -> WebAsyncTask {
        var copy = self
        copy.completionHandler = handler
        return copy
    }

    /// A task only means something as a handler's return value.
    public func response(for request: Request) throws -> Response {
        throw HTTPError(.internalServerError, "a WebAsyncTask must be returned by a handler, not rendered")
    }
}

extension WebAsyncTask: AsyncResultSource {
    var runsOnBackExecutor: Bool { true }
    func start(_ exchange: AsyncExchange) { task.start(exchange) }

    func timedOut() -> AsyncOutcome? {
        guard let timeoutHandler else { return nil }
        do { return .value(try timeoutHandler()) } catch { return .error(error) }
    }

    func recover(from error: any Error) -> AsyncOutcome {
        guard let errorHandler, !(error is AsyncRequestTimeoutError) else { return .error(error) }
        do { return .value(try errorHandler(error)) } catch { return .error(error) }
    }

    func cancel(_ reason: AsyncCancelReason) { task.cancel() }

    func finished() {
        once.run { completionHandler?() }
    }
}
