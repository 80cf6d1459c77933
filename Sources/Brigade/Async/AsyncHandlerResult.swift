import BrigadeExecutors
import Synchronization

/// The result of an `async throws` handler: it runs as a Swift task on the concurrency
/// pool, holding no front thread, and resumes on a front thread for rendering.
struct AsyncHandlerResult: ResponseGenerator, AsyncResultSource {
    let request: Request
    let operation: @Sendable (Request) async throws -> any Sendable
    private let task = TaskBox()

    final class TaskBox: Sendable {
        let task = Mutex<Task<Void, Never>?>(nil)
    }

    init(request: Request, operation: @escaping @Sendable (Request) async throws -> any Sendable) {
        self.request = request
        self.operation = operation
    }

    func response(for request: Request) throws -> Response {
        throw HTTPError(.internalServerError, "an async handler's result must not be rendered directly")
    }

    var timeout: Duration? { nil }

    func start(_ exchange: AsyncExchange) {
        let operation = self.operation
        let request = exchange.request
        let task = Task {
            await WorkContext.$current.withValue(request.context) {
                do {
                    exchange.receive(.value(try await operation(request)))
                } catch {
                    exchange.receive(.error(error))
                }
            }
        }
        self.task.task.withLock { $0 = task }
    }

    func timedOut() -> AsyncOutcome? { nil }

    func cancel(_ reason: AsyncCancelReason) {
        task.task.withLock { $0 }?.cancel()
    }

    func finished() {}
}
