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

    init(configuration: Configuration, frontPool: ThreadPool, executors: BackExecutors, pipeline: RequestPipeline, logger: Logger) {
        self.configuration = configuration
        self.frontPool = frontPool
        self.executors = executors
        self.logger = logger
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

    /// Stops accepting and closes idle connections, lets the front pool and then the back
    /// executors finish their work (up to `grace` each) while responses can still be
    /// written, then closes the connections and the event loops. (Results that arrive
    /// after the front pool stopped are rendered on a back thread.)
    public func shutdown(grace: Duration = .seconds(30)) async throws {
        await http.quiesce()
        _ = await frontPool.shutdownGracefully(timeout: grace)
        await executors.shutdownGracefully(timeout: grace)
        try await http.shutdown()
    }

    /// Starts and serves until graceful shutdown, then shuts down.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        try await shutdown()
    }
}
