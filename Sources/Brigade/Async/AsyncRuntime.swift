import BrigadeExecutors
import Logging

/// What asynchronous requests need from the application: the front pool to resume on, the
/// back executors to run callables on, and the default timeout.
struct AsyncRuntime: Sendable {
    let front: ThreadPool
    let executors: BackExecutors
    /// `async.timeout`.
    let defaultTimeout: Duration
    let logger: Logger

    /// Runs `body` on a front thread. A result that arrived is never refused: if the front
    /// queue is full, it still runs, on a back thread or, last, on the calling thread.
    func resumeOnFront(_ body: @escaping @Sendable () -> Void) {
        do {
            try front.execute(body)
        } catch {
            do {
                try executors.defaultExecutor.execute(body)
            } catch {
                logger.warning("front and back pools saturated: resuming on the completing thread", metadata: ["thread": "\(ThreadTier.currentThreadName)"])
                body()
            }
        }
    }
}
