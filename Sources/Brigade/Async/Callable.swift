import BrigadeExecutors

/// A result computed on the default back executor: return it from a handler to give the
/// front thread back at once (Spring's `Callable<T>`).
///
/// ```swift
/// routes.get("/reports/{id}") { request in
///     let id = try request.path("id", as: Int.self)
///     return Callable { try repository.report(id) }   // runs on a back thread
/// }
/// ```
/// The body runs on a `back:default` thread with the request's ``WorkContext``; its value
/// is rendered — or its error resolved — back on a front thread: a ``ResponseGenerator``
/// renders itself, any other `Encodable` is JSON, nothing is `204` (the initialiser the
/// compiler picks decides). The request times out after `async.timeout` (503); a body still
/// queued then, or when the client leaves, never runs.
public struct Callable<T: Sendable>: HandlerResult {
    private let task: BackTask

    /// A callable whose value renders itself.
    /// - Parameter body: The slow, blocking work.
    public init(_ body: @escaping @Sendable () throws -> T) where T: ResponseGenerator {
        task = BackTask(executor: nil) { try body() }
    }

    /// A callable whose value is sent as JSON.
    /// - Parameter body: The slow, blocking work.
    @_disfavoredOverload
    public init(_ body: @escaping @Sendable () throws -> T) where T: Encodable {
        task = BackTask(executor: nil) { JSONResponse(value: try body()) }
    }

    /// A callable that answers `204 No Content`.
    /// - Parameter body: The slow, blocking work.
    @_disfavoredOverload
    public init(_ body: @escaping @Sendable () throws -> Void) where T == Void {
        task = BackTask(executor: nil) {
            try body()
            return NoContent()
        }
    }

    /// Released to a back thread.
    public var handlerStep: HandlerStep { HandlerStep(.async(self)) }
}

extension Callable: AsyncResultSource {
    var timeout: Duration? { nil }
    var runsOnBackExecutor: Bool { true }
    func start(_ exchange: AsyncExchange) { task.start(exchange) }
    func timedOut() -> AsyncOutcome? { nil }
    func cancel(_ reason: AsyncCancelReason) { task.cancel() }
    func finished() {}
}
