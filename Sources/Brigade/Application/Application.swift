import BrigadeExecutors
import BrigadeHTTP
import Logging
import ServiceLifecycle
import UnixSignals

/// A Brigade application: its configuration, controllers, interceptors and error handlers.
///
/// Configure it, then ``run()`` it (until SIGTERM/SIGINT), or ``makeServer()`` to start and
/// stop it yourself (tests do):
/// ```swift
/// var app = Application(configuration: try await Configuration.load())
/// app.register(HelloController())
/// try await app.run()
/// ```
public struct Application: Sendable {
    /// The configuration the server will use.
    public var configuration: Configuration
    /// The application's logger; every request's logger derives from it.
    public var logger: Logger
    /// Where the access log goes when `access-log.enabled` is set: by default a logger
    /// labelled `brigade.access` at level `info`, so the process's `LoggingSystem` handler
    /// decides where its lines go (independently of `log.level`).
    public var accessLogger: Logger
    private var controllers: [any Controller] = []
    private var interceptors: [any Interceptor] = []
    private var errorHandlers = ErrorHandlers()
    private var managedPools: [any ManagedPool] = []
    /// Observers told about every answered request, besides those ``makeServer()`` adds from
    /// the configuration (the access log).
    var observers: [any RequestObserver] = []

    /// Creates an application.
    /// - Parameters:
    ///   - configuration: Sizes, limits, timeouts (see ``Configuration``).
    ///   - logger: The base logger; by default `brigade` at the configured level.
    public init(configuration: Configuration = Configuration(), logger: Logger? = nil) {
        self.configuration = configuration
        var base = logger ?? Logger(label: "brigade")
        if logger == nil { base.logLevel = configuration.logLevel }
        self.logger = base
        var access = Logger(label: "brigade.access")
        access.logLevel = .info
        self.accessLogger = access
    }

    /// Adds a controller; its routes are registered when the server is made.
    public mutating func register(_ controller: any Controller) {
        controllers.append(controller)
    }

    /// Adds an interceptor; interceptors run in the order they were added.
    public mutating func addInterceptor(_ interceptor: any Interceptor) {
        interceptors.append(interceptor)
    }

    /// Puts a pool the application uses — its database pool — under the server's management:
    /// it is sampled for metrics, `/pools` advice and the watchdog, asked by `/ready` whether
    /// it can serve, checked against the deployment at start (the connection budget), and
    /// closed at shutdown once the executors that use it have drained.
    ///
    /// ```swift
    /// let database = try PostgresPool(configuration: .init(keys: ConfigKeys(reader: configuration.reader)))
    /// app.manage(database)
    /// ```
    public mutating func manage(_ pool: any ManagedPool) {
        managedPools.append(pool)
    }

    /// Handles errors of type `E` from any route (`@ControllerAdvice`), after the
    /// controller's own handlers.
    public mutating func onError<E: Error, R: ResponseGenerator>(_ type: E.Type, _ handler: @escaping @Sendable (E, Request) throws -> R) {
        errorHandlers.add(type, handler)
    }

    /// Compiles the routes and creates the front pool and the connector; nothing listens yet.
    /// - Throws: ``RoutingError`` for a bad or duplicate route, ``ConfigurationError`` for
    ///   invalid sizes.
    public func makeServer() throws -> BrigadeServer {
        try configuration.validate()
        var builder = RouteTrieBuilder()
        for controller in controllers {
            let routes = Routes()
            controller.register(with: routes)
            for route in routes.routes() { try builder.add(route) }
        }
        let metrics = ServerMetrics()
        let front = try ThreadPool(configuration: configuration.front.poolConfiguration, metrics: metrics.factory)
        let executors = try BackExecutors(configuration: configuration, metrics: metrics.factory)
        let requests = RequestStatistics(
            factory: metrics.factory, frontBlockingThreshold: configuration.management.frontBlockingThreshold, logger: logger)
        for pool in managedPools { pool.instrument(PoolTimers(pool: pool.name, factory: metrics.factory)) }
        let pools: [any ManagedPool] = [front] + executors.all + managedPools
        var names = Set<String>()
        for pool in pools where !names.insert(pool.name).inserted {
            throw ConfigurationError("two pools are named '\(pool.name)': executors, the front pool and managed pools need distinct names")
        }
        let monitor = PoolMonitor(
            pools: pools, requests: requests, metrics: metrics,
            settings: configuration.management, logger: logger)
        let runtime = AsyncRuntime(front: front, executors: executors, defaultTimeout: configuration.asyncTimeout, logger: logger)
        var observers = self.observers
        if configuration.accessLog.enabled {
            observers.append(AccessLogObserver(format: try AccessLogFormat(parsing: configuration.accessLog.format), logger: accessLogger))
        }
        // The metrics and the pool advisor's per-route totals come from the same record.
        observers.append(requests)
        let pipeline = RequestPipeline(
            trie: builder.build(), interceptors: interceptors, errorHandlers: errorHandlers, logger: logger, runtime: runtime,
            serverTiming: configuration.serverTiming, observers: observers)
        return try BrigadeServer(
            configuration: configuration, frontPool: front, executors: executors, pipeline: pipeline,
            monitor: monitor, applicationPools: managedPools, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    public func run() async throws {
        let server = try makeServer()
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
