import BrigadeExecutors
import Logging

/// What every request's exchange shares: the interceptors, error handlers and observers, the
/// front pool to resume on and the back executors to run on, the default asynchronous
/// timeout, and the asynchronous requests pending. One per server; immutable but for the
/// pending set, which has its own lock.
final class ExchangeServices: Sendable {
    let interceptors: [any Interceptor]
    let errorHandlers: ErrorHandlers
    /// Told about every request once it is answered, in order.
    let observers: [any RequestObserver]
    /// `server.server-timing`.
    let serverTiming: Bool
    let logger: Logger
    let front: ThreadPool
    let executors: BackExecutors
    /// `async.timeout`.
    let defaultTimeout: Duration
    /// The asynchronous requests waiting for their results, and the streams open.
    let pending = PendingExchanges()
    /// `streams.*`.
    let streams: Configuration.Streams
    let streamMetrics: StreamMetrics

    init(
        interceptors: [any Interceptor], errorHandlers: ErrorHandlers, observers: [any RequestObserver], serverTiming: Bool,
        logger: Logger, front: ThreadPool, executors: BackExecutors, defaultTimeout: Duration,
        streams: Configuration.Streams = Configuration.Streams(), streamMetrics: StreamMetrics
    ) {
        self.streams = streams
        self.streamMetrics = streamMetrics
        self.interceptors = interceptors
        self.errorHandlers = errorHandlers
        self.observers = observers
        self.serverTiming = serverTiming
        self.logger = logger
        self.front = front
        self.executors = executors
        self.defaultTimeout = defaultTimeout
    }

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
