import BrigadeExecutors

/// The result of an `async throws` handler: it runs as a Swift task that prefers the front
/// pool as its executor (SE-0417) — its synchronous stretches run on front threads, under the
/// front pool's policy, an `await` holds no thread, and the response is rendered on the front
/// thread that runs the task's last stretch, without another hop.
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
        let started = Task(executorPreference: exchange.frontPool) {
            await WorkContext.$current.withValue(context) {
                do {
                    exchange.receive(.value(try await operation(request)), renderHere: true)
                } catch {
                    exchange.receive(.error(error), renderHere: true)
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
