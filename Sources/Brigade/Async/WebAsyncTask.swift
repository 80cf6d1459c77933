import BrigadeExecutors

/// A ``Callable`` with its own timeout, executor and callbacks (Spring's `WebAsyncTask<T>`).
///
/// ```swift
/// return WebAsyncTask(timeout: .seconds(2), executor: "reports") { try repository.slowAggregate() }
///     .onTimeout { Report.empty }
///     .onCompletion { metrics.count() }
/// ```
/// Its value renders like a ``Callable``'s. Callbacks run on front threads.
public struct WebAsyncTask<T: Sendable>: HandlerResult {
    /// This task's timeout; `nil` uses `async.timeout`.
    public let timeout: Duration?
    /// The executor that runs the body; `nil` is the default back executor.
    public let executor: String?
    private let task: BackTask
    private let render: @Sendable (T) -> any ResponseGenerator
    private var timeoutHandler: (@Sendable () throws -> T)?
    private var errorHandler: (@Sendable (any Error) throws -> T)?
    private var completionHandler: (@Sendable () -> Void)?
    private let once = Once()

    /// A task whose value renders itself.
    /// - Parameters:
    ///   - timeout: How long the body may take; `nil` uses `async.timeout`.
    ///   - executor: The name of a back executor (`executors.<name>.*`); `nil` is the default.
    ///   - body: The slow work, on a back thread.
    public init(timeout: Duration? = nil, executor: String? = nil, _ body: @escaping @Sendable () throws -> T) where T: ResponseGenerator {
        self.init(timeout: timeout, executor: executor, body: body) { $0 }
    }

    /// A task whose value is sent as JSON.
    @_disfavoredOverload
    public init(timeout: Duration? = nil, executor: String? = nil, _ body: @escaping @Sendable () throws -> T) where T: Encodable {
        self.init(timeout: timeout, executor: executor, body: body) { JSONResponse(value: $0) }
    }

    /// A task that answers `204 No Content`.
    @_disfavoredOverload
    public init(timeout: Duration? = nil, executor: String? = nil, _ body: @escaping @Sendable () throws -> Void) where T == Void {
        self.init(timeout: timeout, executor: executor, body: body) { _ in NoContent() }
    }

    private init(
        timeout: Duration?, executor: String?, body: @escaping @Sendable () throws -> T,
        render: @escaping @Sendable (T) -> any ResponseGenerator
    ) {
        self.timeout = timeout
        self.executor = executor
        self.render = render
        self.task = BackTask(executor: executor) { render(try body()) }
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

    /// Released to a back thread.
    public var handlerStep: HandlerStep { HandlerStep(.async(self)) }
}

extension WebAsyncTask: AsyncResultSource {
    var runsOnBackExecutor: Bool { true }
    func start(_ exchange: AsyncExchange) { task.start(exchange) }

    func timedOut() -> AsyncOutcome? {
        guard let timeoutHandler else { return nil }
        do { return .value(render(try timeoutHandler())) } catch { return .error(error) }
    }

    func recover(from error: any Error) -> AsyncOutcome {
        guard let errorHandler, !(error is AsyncRequestTimeoutError) else { return .error(error) }
        do { return .value(render(try errorHandler(error))) } catch { return .error(error) }
    }

    func cancel(_ reason: AsyncCancelReason) { task.cancel() }

    func finished() {
        once.run { completionHandler?() }
    }
}
