import BrigadeExecutors
import BrigadeHTTP
import Logging
import ServiceLifecycle

/// A running (or ready) application: the front pool, the request pipeline and the connector.
///
/// A swift-service-lifecycle `Service`: ``run()`` serves until graceful shutdown.
public final class BrigadeServer: Service, Sendable {
    /// The configuration in force.
    public let configuration: Configuration
    /// The front ("container") pool every handler runs on.
    public let frontPool: ThreadPool
    /// The back executors (`Callable`s, `WebAsyncTask`s).
    public let executors: BackExecutors
    /// The connector.
    public let http: HTTPServer
    /// The responder the connector calls; the in-process test client calls it directly.
    public let responder: any HTTPResponder
    private let logger: Logger
    private let pending: PendingExchanges

    init(configuration: Configuration, frontPool: ThreadPool, executors: BackExecutors, pipeline: RequestPipeline, logger: Logger) {
        self.configuration = configuration
        self.frontPool = frontPool
        self.executors = executors
        self.logger = logger
        self.pending = pipeline.runtime.pending
        let dispatcher = FrontDispatcher(pool: frontPool, pipeline: pipeline)
        self.responder = dispatcher
        self.http = HTTPServer(configuration: configuration.server, responder: dispatcher, logger: logger)
    }

    /// The bound port once started.
    public var port: Int? { http.port }

    /// Starts listening. Returns once the socket is bound.
    public func start() async throws {
        try await http.start()
    }

    /// Asynchronous requests waiting for their results now.
    public var pendingAsyncRequests: Int { pending.count }

    /// Shuts down gracefully; nothing that was accepted is dropped without an answer:
    /// 1. stops accepting and closes idle connections;
    /// 2. lets pending asynchronous requests finish within `grace`, then ends the rest as
    ///    if they timed out (their timeout result or callbacks apply, else `503` with
    ///    `Retry-After`);
    /// 3. lets the front pool and then the back executors finish their work (up to `grace`
    ///    each) while responses can still be written;
    /// 4. closes the connections and the event loops.
    public func shutdown(grace: Duration = .seconds(30)) async throws {
        await http.quiesce()
        if !(await pending.waitUntilEmpty(timeout: grace)) {
            let left = pending.all
            logger.info("shutdown grace passed: ending pending asynchronous requests", metadata: ["count": "\(left.count)"])
            for exchange in left { exchange.shutdownExpired() }
            _ = await pending.waitUntilEmpty(timeout: .seconds(5))
        }
        _ = await frontPool.shutdownGracefully(timeout: grace)
        await executors.shutdownGracefully(timeout: grace)
        try await http.shutdown()
    }

    /// Starts and serves until graceful shutdown, then shuts down.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        try await shutdown(grace: configuration.shutdownGrace)
    }
}
