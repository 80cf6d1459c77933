import BrigadeExecutors
import BrigadeHTTP
import Logging
import ServiceLifecycle
import Synchronization

/// A running (or ready) application: the front pool, the request pipeline, the connector and
/// the management port.
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
    /// The management port's connector (metrics, health, pool advice, dashboard), when
    /// `management.enabled`.
    public let management: HTTPServer?
    /// The responder the connector calls; the in-process test client calls it directly.
    public let responder: any HTTPResponder
    private let logger: Logger
    private let pending: PendingExchanges
    let monitor: PoolMonitor
    /// The pools the application asked the server to manage (closed at shutdown).
    private let applicationPools: [any ManagedPool]
    /// Runs management requests and start-up checks, never the application's work.
    private let managementPool: ThreadPool
    private let stopping = StopFlag()
    private let componentsStarted = Atomic(false)
    private let shutdownHooks: ShutdownHooks
    /// The application's handle on ``executors``, and the background work launched through it.
    private let applicationExecutors: ApplicationExecutors
    private let background: BackgroundWork

    /// Set once shutdown begins; read by `/ready`.
    private final class StopFlag: Sendable {
        private let value = Atomic(false)
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set() { value.store(true, ordering: .relaxed) }
    }

    init(
        configuration: Configuration, frontPool: ThreadPool, executors: BackExecutors, pipeline: RequestPipeline,
        monitor: PoolMonitor, applicationPools: [any ManagedPool], shutdownHooks: ShutdownHooks = ShutdownHooks(), logger: Logger,
        applicationExecutors: ApplicationExecutors, background: BackgroundWork
    ) throws(ConfigurationError) {
        self.shutdownHooks = shutdownHooks
        self.applicationExecutors = applicationExecutors
        self.background = background
        self.configuration = configuration
        self.frontPool = frontPool
        self.executors = executors
        self.logger = logger
        self.pending = pipeline.services.pending
        self.monitor = monitor
        self.applicationPools = applicationPools
        self.responder = pipeline
        self.http = HTTPServer(configuration: configuration.server, responder: pipeline, logger: logger)
        self.managementPool = try ThreadPool(configuration: .init(
            name: "management", tier: .back("management"), coreThreads: 0, maxThreads: 2, queueCapacity: 64,
            keepAlive: .seconds(30), batchScheduling: false))
        if configuration.management.enabled {
            var settings = configuration.server
            settings.host = configuration.management.host
            settings.port = configuration.management.port ?? (configuration.server.port == 0 ? 0 : configuration.server.port + 1)
            settings.eventLoops = 1
            settings.maxConnections = 64
            let stopping = self.stopping
            let responder = ManagementResponder(
                pool: managementPool, monitor: monitor, settings: configuration.management,
                stopping: { stopping.isSet })
            // On the connector's event loops: no threads of its own.
            self.management = HTTPServer(configuration: settings, responder: responder, eventLoopGroup: http.eventLoopGroup, logger: logger)
        } else {
            self.management = nil
        }
        let pending = self.pending
        let http = self.http
        monitor.metrics.attach(.init(
            pendingAsync: { pending.count }, completedAsync: { pending.completed }, timedOutAsync: { pending.timedOut },
            openConnections: { http.openConnections }))
    }

    /// The bound port once started.
    public var port: Int? { http.port }

    /// The management port once started, when enabled.
    public var managementPort: Int? { management?.port }

    /// Starts listening, then the management port, then the pools' start-up checks (the
    /// database connection budget) and the monitor. Returns once the sockets are bound.
    ///
    /// When it throws, call ``shutdown(grace:)`` to release the threads the server made.
    /// - Throws: ``PortUnavailableError`` when the main or the management port cannot be
    ///   bound (in use, not permitted, not this machine's address).
    public func start() async throws {
        // The application's components first (its notification listener): requests that rely
        // on them find them working. A component that cannot start fails the start.
        try await startComponents()
        do {
            try await http.start()
        } catch let error as BindError {
            throw PortUnavailableError(port: .main, bindError: error)
        }
        do {
            try await management?.start()
        } catch {
            try? await http.shutdown()
            if let error = error as? BindError {
                throw PortUnavailableError(port: .management, bindError: error, configured: configuration.management.port != nil)
            }
            throw error
        }
        let facts = StartupFacts(
            instances: configuration.instances, backThreads: executors.all.reduce(0) { $0 + $1.configuration.maxThreads })
        let logger = self.logger
        for pool in applicationPools {
            // Blocking (a query): on the management pool, never on a Swift concurrency thread.
            try await offload { pool.startupChecks(facts, logger: logger) }
        }
        monitor.start()
    }

    /// Starts the application's managed components (`Application.manage(_:)`)
    /// — ``start()`` does it first; in-process tests, which serve without a socket, call it
    /// alone. Calling it again does nothing.
    /// - Throws: What a component's start threw; those started before it are closed again.
    public func startComponents() async throws {
        guard componentsStarted.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        for component in monitor.components {
            do {
                try await managementPool.run { try component.start() }
            } catch {
                for started in monitor.components {
                    if started === component { break }
                    await started.close()
                }
                throw error
            }
        }
    }

    /// Asynchronous requests waiting for their results now.
    public var pendingAsyncRequests: Int { pending.count }

    /// Background work launched through ``Application/executors`` that is queued or running now.
    public var runningBackgroundTasks: Int { background.count }

    /// Shuts down gracefully; nothing that was accepted is dropped without an answer:
    /// 1. `/ready` answers 503 from now on; after `server.shutdown-delay` of serving as usual
    ///    (the load balancer's time to notice), stops accepting and closes idle connections;
    /// 2. ends the streamed responses (their clients reconnect elsewhere), lets pending
    ///    asynchronous requests finish within `grace`, then ends the rest as
    ///    if they timed out (their timeout result or callbacks apply, else `503` with
    ///    `Retry-After`);
    /// 3. lets the front pool finish its work (up to `grace`) — a handler still running when
    ///    shutdown began may go asynchronous meanwhile: its request is then treated as in 2,
    ///    within what is left of the same grace period — then the background work launched
    ///    through ``Application/executors`` (within what is left of the grace; past it, its
    ///    cancellation signal fires), and then the back executors (up to `grace`), while
    ///    responses can still be written;
    /// 4. closes the application's managed components (its notification listener), then the
    ///    pools it asked the server to manage (the database pool);
    /// 5. closes the connections, the management port and the event loops;
    /// 6. runs the application's ``Application/afterShutdown(_:)`` actions.
    ///
    /// The application's ``Application/beforeShutdown(_:)`` actions run between 1 and 2.
    public func shutdown(grace: Duration = .seconds(30)) async throws {
        stopping.set()
        if configuration.shutdownDelay > .zero {
            logger.info("shutting down: /ready answers 503; serving on until server.shutdown-delay passes", metadata: [
                "server.shutdown-delay": "\(configuration.shutdownDelay)",
            ])
            try? await Task.sleep(for: configuration.shutdownDelay)
        }
        let deadline = ContinuousClock.now + grace
        await http.quiesce()
        for action in shutdownHooks.before { action() }
        // Streams end now (their clients reconnect elsewhere); asynchronous requests get the grace.
        for exchange in pending.beginShutdown() { exchange.shutdownExpired() }
        await endPendingRequests(by: deadline)
        _ = await frontPool.shutdownGracefully(timeout: grace)
        await endPendingRequests(by: deadline)
        await background.drain(until: deadline)
        await executors.shutdownGracefully(timeout: grace)
        applicationExecutors.unbind(executors)
        for component in monitor.components { await component.close() }
        for pool in applicationPools { await pool.close() }
        monitor.stop()
        try? await management?.shutdown()
        var closeError: (any Error)?
        do { try await http.shutdown() } catch { closeError = error }
        _ = await managementPool.shutdownGracefully(timeout: .seconds(5))
        for action in shutdownHooks.after.reversed() { await action() }
        if let closeError { throw closeError }
    }

    /// Lets pending asynchronous requests finish until `deadline`, then ends the rest as if
    /// they timed out.
    private func endPendingRequests(by deadline: ContinuousClock.Instant) async {
        if await pending.waitUntilEmpty(timeout: max(.zero, deadline - ContinuousClock.now)) { return }
        let left = pending.all
        logger.info("shutdown grace passed: ending pending asynchronous requests", metadata: ["count": "\(left.count)"])
        for exchange in left { exchange.shutdownExpired() }
        _ = await pending.waitUntilEmpty(timeout: .seconds(5))
    }

    /// Starts and serves until graceful shutdown, then shuts down.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        try await shutdown(grace: configuration.shutdownGrace)
    }

    /// Runs blocking `body` on the management pool and waits for it without blocking the caller.
    /// - Throws: ``RejectedExecutionError`` when the pool refuses it (shut down): `body` then
    ///   never runs — never on the caller's thread, a Swift concurrency thread.
    private func offload(_ body: @escaping @Sendable () -> Void) async throws {
        try await managementPool.run(body)
    }
}
