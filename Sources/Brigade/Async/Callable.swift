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
/// is rendered — or its error resolved — back on a front thread. The request times out after
/// `async.timeout` (503); a body still queued then, or when the client leaves, never runs.
public struct Callable<T: Sendable>: ResponseGenerator {
    private let task: BackTask<T>

    /// Creates a callable.
    /// - Parameter body: The slow, blocking work; its value becomes the response (a
    ///   `ResponseGenerator`, any `Encodable`, or nothing for 204).
    public init(_ body: @escaping @Sendable () throws -> T) {
        self.task = BackTask(executor: nil, body: body)
    }

    /// A callable only means something as a handler's return value.
    public func response(for request: Request) throws -> Response {
        throw HTTPError(.internalServerError, "a Callable must be returned by a handler, not rendered")
    }
}

extension Callable: AsyncResultSource {
    var timeout: Duration? { nil }
    var runsOnBackExecutor: Bool { true }
    func start(_ exchange: AsyncExchange) { task.start(exchange) }
    func timedOut() -> AsyncOutcome? { nil }
    func cancel(_ reason: AsyncCancelReason) { task.cancel() }
    func finished() {}
}
