import BrigadeExecutors
import BrigadeHTTP
import Configuration
import Logging

/// Every knob of a Brigade application, with documented defaults.
///
/// Read it with ``load(arguments:environment:)`` from command-line arguments, environment
/// variables and a JSON file (in that order of precedence), so pool sizes are tuned without
/// recompiling. A key such as `front.max-threads` is the environment variable
/// `FRONT_MAX_THREADS`, the argument `--front-max-threads` and, in the JSON file,
/// `{"front": {"max-threads": …}}`. Durations take a unit (`250ms`, `30s`, `5m`); a bare
/// number is milliseconds.
public struct Configuration: Sendable {
    /// The connector: `server.*` keys (see ``HTTPServer/Configuration``).
    public var server: HTTPServer.Configuration
    /// The front ("container") pool: `front.*` keys.
    public var front: FrontPool
    /// The default back executor: `back.*` keys.
    public var back: BackPool
    /// Named back executors (bulkheads): `executors.<name>.*` keys.
    public var executors: [String: BackPool]
    /// `async.timeout`: how long an asynchronous result may take before the request answers
    /// 503 (unless the result has its own timeout). Default 30 s.
    public var asyncTimeout: Duration
    /// `server.shutdown-grace`: on SIGTERM/SIGINT, how long pending requests may take to
    /// finish before they are answered `503` (and the pools get as long to drain). Default 30 s.
    public var shutdownGrace: Duration
    /// `server.shutdown-delay`: on SIGTERM/SIGINT, how long the server goes on serving
    /// normally — accepting connections — while `/ready` already answers `503 DOWN`, before
    /// it stops accepting and drains: time for a load balancer (or whatever reads `/ready` for
    /// it) to stop sending it new work, so that no request reaches a closing socket. Default
    /// 0 (stop accepting at once); behind a load balancer, its health-check interval or more.
    public var shutdownDelay: Duration = .zero
    /// `log.level`: `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`. Default `info`.
    public var logLevel: Logger.Level
    /// `server.server-timing`: whether every response the framework writes carries a W3C
    /// `Server-Timing` header saying where the request's time went (waiting for and running on
    /// the front pool, the back executor, an asynchronous result, rendering, and the total).
    /// Default `true`; turn it off to hide the server's internals from clients.
    public var serverTiming: Bool
    /// The access log: `access-log.*` keys.
    public var accessLog: AccessLog
    /// The reader the values came from, for an application's own keys (`database.url`, …).
    public var reader: ConfigReader
    /// The management port and what it serves: `management.*` keys.
    public var management = Management()
    /// `instances`: how many copies of the application share the database; the start-up
    /// check multiplies `database.max-size` by it. Default 1.
    public var instances = 1
    /// Streamed responses (emitters, SSE, streaming bodies): `streams.*` keys.
    public var streams = Streams()

    /// Streamed responses' buffers and waits.
    public struct Streams: Sendable, Hashable {
        /// `streams.buffer-size`: bytes a stream buffers before its writers are told it is
        /// full (beyond the connection's own buffers). Default 64 KiB.
        public var bufferSize: Int
        /// `streams.write-timeout`: how long a blocking producer (``StreamingResponseBody``,
        /// an emitter with the default policy) waits for room before its write fails.
        /// Default 30 s.
        public var writeTimeout: Duration

        /// Creates the settings; see each property for its default.
        public init(bufferSize: Int = 64 * 1024, writeTimeout: Duration = .seconds(30)) {
            self.bufferSize = bufferSize
            self.writeTimeout = writeTimeout
        }
    }

    /// The front pool, sized like Tomcat's connector.
    public struct FrontPool: Sendable, Hashable {
        /// `front.max-threads`: the most handlers running at once. Default 200.
        public var maxThreads: Int
        /// `front.min-spare-threads`: threads started at once and kept. Default 10.
        public var minSpareThreads: Int
        /// `front.accept-queue`: requests that may wait for a front thread; beyond, 503. Default
        /// 8192, as many as `server.max-connections`: every open connection may have a request
        /// waiting (Tomcat's NIO connector holds as many in its poller), so a burst the server
        /// can carry is queued, not refused.
        public var acceptQueue: Int
        /// `front.keep-alive`: idle time before a thread above the spare ones exits. Default 60 s.
        public var keepAlive: Duration
        /// `front.batch-scheduling`: run front threads under Linux's `SCHED_BATCH` (see
        /// ``ThreadPool/Configuration/batchScheduling``). Default `true`.
        public var batchScheduling: Bool
        /// `front.sizing` and `front.parallelism`: how many front threads work at once. Default
        /// ``PoolSizing/adaptive``: one runnable thread per CPU this process may use, more —
        /// up to `front.max-threads` — only while threads are blocked (a handler that sleeps,
        /// waits on a lock or does I/O) and work waits. `eager` gives every request a thread
        /// at once, up to the maximum (Tomcat's way).
        public var sizing: PoolSizing

        /// Creates the front pool's settings; see each property for its default.
        public init(
            maxThreads: Int = 200, minSpareThreads: Int = 10, acceptQueue: Int = 8192, keepAlive: Duration = .seconds(60),
            batchScheduling: Bool = true, sizing: PoolSizing = .adaptive
        ) {
            self.sizing = sizing
            self.batchScheduling = batchScheduling
            self.maxThreads = maxThreads
            self.minSpareThreads = minSpareThreads
            self.acceptQueue = acceptQueue
            self.keepAlive = keepAlive
        }

        var poolConfiguration: ThreadPool.Configuration {
            ThreadPool.Configuration(
                name: "front", tier: .front, coreThreads: min(minSpareThreads, maxThreads), maxThreads: maxThreads,
                queueCapacity: acceptQueue, keepAlive: keepAlive, rejectionPolicy: .abort, batchScheduling: batchScheduling,
                sizing: sizing)
        }
    }

    /// A back executor's sizes (Spring's `ThreadPoolTaskExecutor`, but threads grow to the
    /// maximum before tasks queue, and the queue is bounded).
    public struct BackPool: Sendable, Hashable {
        /// `core-threads`: threads started at once and kept. Default 16.
        public var coreThreads: Int
        /// `max-threads`: the most tasks running at once. Default 64 — but for the default back
        /// executor (`back.max-threads`) of an application that manages database pools
        /// (``Application/manage(_:)``), their connections (`database.max-size`) when it is not
        /// set: a back thread beyond the connections could only wait for one.
        public var maxThreads: Int {
            get { chosenMaxThreads ?? Self.defaultMaxThreads }
            set { chosenMaxThreads = newValue }
        }
        /// Whether ``maxThreads`` was chosen (by a key or in code) rather than left to its default.
        public var isMaxThreadsSet: Bool { chosenMaxThreads != nil }
        /// The default of ``maxThreads``.
        public static let defaultMaxThreads = 64
        private var chosenMaxThreads: Int?
        /// `queue`: tasks that may wait; beyond, 503 (policy abort). Default 1000.
        public var queueCapacity: Int
        /// `keep-alive`: idle time before a thread above the core exits. Default 60 s.
        public var keepAlive: Duration
        /// `rejection-policy`: `abort` (503) or `caller-runs`. Default `abort`.
        public var rejectionPolicy: RejectionPolicy
        /// `sizing` and `parallelism`: ``PoolSizing/eager`` (the default: back work blocks, so
        /// every task gets a thread) or ``PoolSizing/adaptive`` for an executor of CPU-bound work.
        public var sizing: PoolSizing

        /// Creates a back executor's settings; see each property for its default.
        public init(
            coreThreads: Int = 16, maxThreads: Int? = nil, queueCapacity: Int = 1000, keepAlive: Duration = .seconds(60),
            rejectionPolicy: RejectionPolicy = .abort, sizing: PoolSizing = .eager
        ) {
            self.sizing = sizing
            self.coreThreads = coreThreads
            self.chosenMaxThreads = maxThreads
            self.queueCapacity = queueCapacity
            self.keepAlive = keepAlive
            self.rejectionPolicy = rejectionPolicy
        }

        func poolConfiguration(name: String, tier: ThreadTier) -> ThreadPool.Configuration {
            ThreadPool.Configuration(
                name: name, tier: tier, coreThreads: min(coreThreads, maxThreads), maxThreads: maxThreads,
                queueCapacity: queueCapacity, keepAlive: keepAlive, rejectionPolicy: rejectionPolicy, sizing: sizing)
        }
    }

    /// The access log: one line per answered request (errors, 404s, refusals and clients
    /// that left included), logged at `info` to the application's access logger
    /// (``Application/accessLogger``, label `brigade.access`).
    public struct AccessLog: Sendable, Hashable {
        /// `access-log.enabled`: whether to write it. Default `false` (as in Tomcat and Spring Boot).
        public var enabled: Bool
        /// `access-log.format`: `common` (Apache's common log format, then the request id),
        /// `json` (one JSON object per line), or a pattern of text and tokens: `%a` client IP
        /// address (`-` when unknown), `%t` time received (`[10/Oct/2025:13:55:36 +0000]`),
        /// `%m` method, `%U` request target, `%H` protocol, `%R` route template (`-` when no
        /// route matched), `%s` status, `%b` body bytes (`-` when none), `%D` total duration
        /// in milliseconds, `%I` request id, `%T` tier timings (the `Server-Timing` value),
        /// `%E` how a streamed response ended (`completed`, `failed`, `timed-out`,
        /// `client-gone`, `stalled`, `shutdown`; `-` for a response that did not stream),
        /// `%%` a percent sign. `json` has the same as `"stream"` (`null` for no stream).
        /// Default ``defaultFormat``.
        public var format: String

        /// `%I "%m %U" %R %s %Dms %T`:
        /// `3f2a91c0-1b "GET /books/7" /books/{id} 200 0.412ms front-queue;dur=0.031, front;dur=0.270, render;dur=0.111, total;dur=0.412`.
        public static let defaultFormat = #"%I "%m %U" %R %s %Dms %T"#

        /// Creates the access log's settings; see each property for its default.
        public init(enabled: Bool = false, format: String = AccessLog.defaultFormat) {
            self.enabled = enabled
            self.format = format
        }
    }

    /// Creates a configuration from code; every value has its documented default.
    public init(
        server: HTTPServer.Configuration = HTTPServer.Configuration(),
        front: FrontPool = FrontPool(),
        back: BackPool = BackPool(),
        executors: [String: BackPool] = [:],
        asyncTimeout: Duration = .seconds(30),
        shutdownGrace: Duration = .seconds(30),
        logLevel: Logger.Level = .info,
        serverTiming: Bool = true,
        accessLog: AccessLog = AccessLog(),
        reader: ConfigReader = ConfigReader(provider: InMemoryProvider(values: [:]))
    ) {
        self.server = server
        self.front = front
        self.back = back
        self.executors = executors
        self.asyncTimeout = asyncTimeout
        self.shutdownGrace = shutdownGrace
        self.logLevel = logLevel
        self.serverTiming = serverTiming
        self.accessLog = accessLog
        self.reader = reader
    }

    /// Checks every value.
    /// - Throws: ``ConfigurationError`` naming the key of the first invalid value.
    public func validate() throws(ConfigurationError) {
        if shutdownDelay < .zero { throw ConfigurationError("server.shutdown-delay must not be negative") }
        if !(0...65535).contains(server.port) { throw ConfigurationError("server.port must be between 0 and 65535, got \(server.port)") }
        if server.eventLoops < 1 { throw ConfigurationError("server.event-loops must be at least 1, got \(server.eventLoops)") }
        if server.maxConnections < 1 { throw ConfigurationError("server.max-connections must be at least 1, got \(server.maxConnections)") }
        if server.maxHeaderSize < 256 { throw ConfigurationError("server.max-header-size must be at least 256 bytes, got \(server.maxHeaderSize)") }
        if server.maxBodySize < 0 { throw ConfigurationError("server.max-body-size must not be negative, got \(server.maxBodySize)") }
        if server.idleTimeout <= .zero { throw ConfigurationError("server.idle-timeout must be positive") }
        if let bodyTimeout = server.bodyTimeout, bodyTimeout <= .zero {
            throw ConfigurationError("server.body-timeout must be positive, or off")
        }
        if server.minBodyRate < 0 { throw ConfigurationError("server.min-body-rate must not be negative (0 is off), got \(server.minBodyRate)") }
        if server.minBodyRateGrace < .zero { throw ConfigurationError("server.min-body-rate-grace must not be negative") }
        if front.maxThreads < 1 { throw ConfigurationError("front.max-threads must be at least 1, got \(front.maxThreads)") }
        if front.minSpareThreads < 0 { throw ConfigurationError("front.min-spare-threads must not be negative, got \(front.minSpareThreads)") }
        if front.acceptQueue < 0 { throw ConfigurationError("front.accept-queue must not be negative, got \(front.acceptQueue)") }
        if asyncTimeout <= .zero { throw ConfigurationError("async.timeout must be positive") }
        try management.validate()
        if management.enabled, management.port == nil, server.port == 65535 {
            throw ConfigurationError(
                key: "management.port", "management.port defaults to server.port + 1, which is 65536 for server.port 65535: set management.port")
        }
        if instances < 1 { throw ConfigurationError("instances must be at least 1, got \(instances)") }
        if streams.bufferSize < 1 { throw ConfigurationError("streams.buffer-size must be at least 1 byte, got \(streams.bufferSize)") }
        if streams.writeTimeout <= .zero { throw ConfigurationError("streams.write-timeout must be positive") }
        _ = try AccessLogFormat(parsing: accessLog.format)
        for (prefix, pool) in [("back", back)] + executors.sorted(by: { $0.key < $1.key }).map({ ("executors.\($0.key)", $0.value) }) {
            if pool.maxThreads < 1 { throw ConfigurationError("\(prefix).max-threads must be at least 1, got \(pool.maxThreads)") }
            if pool.coreThreads < 0 { throw ConfigurationError("\(prefix).core-threads must not be negative, got \(pool.coreThreads)") }
            if pool.queueCapacity < 0 { throw ConfigurationError("\(prefix).queue must not be negative, got \(pool.queueCapacity)") }
        }
    }
}
