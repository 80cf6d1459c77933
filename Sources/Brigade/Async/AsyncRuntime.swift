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
    /// The asynchronous requests waiting for their results.
    let pending = PendingExchanges()

    /// Runs `body` on a front thread. A result that arrived belongs to a request the server
    /// accepted, so it is never refused for saturation: it queues beyond the front queue's
    /// capacity. After the front pool shut down, it runs on a back thread or, last, on the
    /// calling thread.
    func resumeOnFront(_ body: @escaping @Sendable () -> Void) {
        do {
            try front.execute(bypassingQueueLimit: true, body)
        } catch {
            do {
                try executors.defaultExecutor.execute(bypassingQueueLimit: true, body)
            } catch {
                logger.debug("pools shut down: resuming on the completing thread", metadata: ["thread": "\(ThreadTier.currentThreadName)"])
                body()
            }
        }
    }
}
