import BrigadeExecutors
import BrigadeHTTP
import Logging
import ServiceLifecycle
import UnixSignals

/// A Brigade application: its configuration, controllers, interceptors and error handlers.
///
/// A program's `main.swift` hands it to ``main(arguments:environment:_:)``, which reads the
/// configuration, serves until SIGTERM/SIGINT, shuts down gracefully, and turns a start-up
/// failure into one clear log line and a non-zero exit:
/// ```swift
/// await Application.main { configuration in
///     var app = Application(configuration: configuration)
///     app.register(HelloController())
///     return app
/// }
/// ```
/// ``run()`` serves inside a program that manages its own lifecycle; ``makeServer()`` starts
/// and stops it by hand (tests do).
public struct Application: Sendable {
    /// The configuration the server will use.
    public var configuration: Configuration
    /// The application's logger; every request's logger derives from it.
    public var logger: Logger
    /// Where the access log goes when `access-log.enabled` is set: by default a logger
    /// labelled `brigade.access` at level `info`, so the process's `LoggingSystem` handler
    /// decides where its lines go (independently of `log.level`).
    public var accessLogger: Logger
    /// The back executors for the application's own code — `run` to await blocking work from
    /// `async` code, `submit` for `@Async`-style services, `launch` for background work. Take
    /// handles from it while configuring (`app.executors["reports"]`); they work while the
    /// server runs.
    public let executors = ApplicationExecutors()
    private var controllers: [any Controller] = []
    private var interceptors: [any Interceptor] = []
    private var errorHandlers = ErrorHandlers()
    private var managedPools: [any ManagedPool] = []
    private var components: [any ManagedComponent] = []
    private var shutdownHooks = ShutdownHooks()
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

    /// The configuration with the default back executor sized to the managed database pools
    /// when `back.max-threads` was not chosen: a back thread beyond their connections could
    /// only wait for one — a wake-up and a context switch per statement, measured at twice the
    /// switches and half the throughput on TechEmpower's `/db` (as Tomcat with 200 threads on
    /// 16 connections against Tomcat with 16 executor threads, in the same run).
    private func configurationSizedToDatabase() -> Configuration {
        var configuration = self.configuration
        let connections = managedPools.filter { $0.kind == .database }.reduce(0) { $0 + $1.snapshot().maxSize }
        guard !configuration.back.isMaxThreadsSet, connections > 0 else { return configuration }
        configuration.back.maxThreads = connections
        configuration.back.coreThreads = min(configuration.back.coreThreads, connections)
        logger.debug(
            "back.max-threads follows the database pools' connections; set back.max-threads to choose",
            metadata: ["back.max-threads": "\(connections)"])
        return configuration
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

    /// Puts a component the application runs — a PostgreSQL notification listener — under
    /// the server's management: started before the server accepts requests (a start that
    /// fails is a start-up failure), asked by `/ready`, shown by `/pools` and `/metrics`, and
    /// closed at shutdown once every request was answered (so long polls it completes still
    /// are while the server drains), before the managed pools.
    ///
    /// ```swift
    /// let listener = try PostgresListener(configuration: .init(keys: ConfigKeys(reader: configuration.reader)))
    /// try listener.listen("book_changes") { notification in … }
    /// app.manage(listener)
    /// ```
    public mutating func manage(_ component: any ManagedComponent) {
        components.append(component)
    }

    /// Handles errors of type `E` from any route (`@ControllerAdvice`), after the
    /// controller's own handlers.
    public mutating func onError<E: Error, R: ResponseGenerator>(_ type: E.Type, _ handler: @escaping @Sendable (E, Request) throws -> R) {
        errorHandlers.add(type, handler)
    }

    /// Runs `action` when graceful shutdown begins — the server has stopped accepting and
    /// `/ready` answers 503 — before pending asynchronous requests are waited for: answer the
    /// requests that would otherwise wait out the grace period (long polls), stop feeding
    /// streams. On the task that shuts down; keep it short.
    public mutating func beforeShutdown(_ action: @escaping @Sendable () -> Void) {
        shutdownHooks.before.append(action)
    }

    /// Runs `action` once the server has stopped — every request answered, the executors
    /// drained, the managed pools closed — or when start-up fails after the application was
    /// configured: stop what you started for it (an embedded database, a listener). Actions
    /// run in reverse order of registration.
    public mutating func afterShutdown(_ action: @escaping @Sendable () async -> Void) {
        shutdownHooks.after.append(action)
    }

    /// Runs the ``afterShutdown(_:)`` actions, last registered first. For a start-up that
    /// failed before a server existed to run them.
    func runAfterShutdownActions() async {
        for action in shutdownHooks.after.reversed() { await action() }
    }

    /// Compiles the routes and creates the front pool and the connector; nothing listens yet.
    ///
    /// Everything that can be refused is checked before any thread starts, so a failure
    /// leaves nothing running.
    /// - Throws: ``RoutingError`` for a bad or duplicate route, ``ConfigurationError`` for
    ///   invalid sizes, two pools with one name, or an executor taken from ``executors`` that
    ///   the configuration does not declare.
    public func makeServer() throws -> BrigadeServer {
        try self.configuration.validate()
        let configuration = configurationSizedToDatabase()
        var builder = RouteTrieBuilder()
        for controller in controllers {
            let routes = Routes()
            controller.register(with: routes)
            for route in routes.routes() { try builder.add(route) }
        }
        let trie = builder.build()
        var names = Set<String>()
        let poolNames = ["front", "back"] + configuration.executors.keys.sorted() + managedPools.map(\.name) + components.map(\.name)
        for name in poolNames where !names.insert(name).inserted {
            throw ConfigurationError(
                "two pools are named '\(name)': executors, the front pool, managed pools and managed components need distinct names")
        }
        try executors.checkNames(declared: Set(configuration.executors.keys))
        var observers = self.observers
        if configuration.accessLog.enabled {
            observers.append(AccessLogObserver(format: try AccessLogFormat(parsing: configuration.accessLog.format), logger: accessLogger))
        }
        // Nothing below throws for a validated configuration; should it, the pools made so far
        // are shut down rather than left running.
        var started: [ThreadPool] = []
        do {
            let metrics = ServerMetrics()
            let front = try ThreadPool(configuration: configuration.front.poolConfiguration, metrics: metrics.factory)
            started.append(front)
            let executors = try BackExecutors(configuration: configuration, metrics: metrics.factory)
            started += executors.all
            let requests = RequestStatistics(
                factory: metrics.factory, frontBlockingThreshold: configuration.management.frontBlockingThreshold, logger: logger)
            for pool in managedPools { pool.instrument(PoolTimers(pool: pool.name, factory: metrics.factory)) }
            let pools: [any ManagedPool] = [front] + executors.all + managedPools
            let monitor = PoolMonitor(
                pools: pools, components: components, requests: requests, metrics: metrics,
                settings: configuration.management, logger: logger)
            // The metrics and the pool advisor's per-route totals come from the same record.
            observers.append(requests)
            let services = ExchangeServices(
                interceptors: interceptors, errorHandlers: errorHandlers, observers: observers,
                serverTiming: configuration.serverTiming, logger: logger, front: front, executors: executors,
                defaultTimeout: configuration.asyncTimeout, streams: configuration.streams,
                streamMetrics: StreamMetrics(factory: metrics.factory))
            let pipeline = RequestPipeline(trie: trie, services: services)
            let background = BackgroundWork(factory: metrics.factory, logger: logger)
            let server = try BrigadeServer(
                configuration: configuration, frontPool: front, executors: executors, pipeline: pipeline,
                monitor: monitor, applicationPools: managedPools, shutdownHooks: shutdownHooks, logger: logger,
                applicationExecutors: self.executors, background: background)
            self.executors.bind(executors, background: background)
            return server
        } catch {
            for pool in started { pool.shutdownNow() }
            throw error
        }
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
