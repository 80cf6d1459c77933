import BrigadeExecutors

/// The result of an `async throws` handler: it runs as a Swift task, holding no front thread,
/// and resumes on a front thread for rendering.
struct AsyncHandlerResult: HandlerResult, AsyncResultSource {
    let request: Request
    let operation: @Sendable (Request) async throws -> any ResponseGenerator
    private let task = CancellationLatch<Task<Void, Never>>()

    init(request: Request, operation: @escaping @Sendable (Request) async throws -> any ResponseGenerator) {
        self.request = request
        self.operation = operation
    }

    var handlerStep: HandlerStep { HandlerStep(.async(self)) }

    var timeout: Duration? { nil }

    func start(_ exchange: AsyncExchange) {
        guard !task.isCancelled else { return }  // no longer wanted: start nothing
        let operation = self.operation
        let context = exchange.context
        var request = self.request
        request.context = context
        let started = Task {
            await WorkContext.$current.withValue(context) {
                do {
                    exchange.receive(.value(try await operation(request)))
                } catch {
                    exchange.receive(.error(error))
                }
            }
        }
        // A cancellation that came while the task was being made reaches it now.
        if !task.store(started) { started.cancel() }
    }

    func timedOut() -> AsyncOutcome? { nil }

    func cancel(_ reason: AsyncCancelReason) {
        task.cancel()?.cancel()
    }

    func finished() {}
}
