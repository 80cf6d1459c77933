import BrigadeExecutors
import BrigadeHTTP
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
    /// `log.level`: `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`. Default `info`.
    public var logLevel: Logger.Level
    /// The reader the values came from, for an application's own keys (`database.url`, …).
    public var reader: ConfigReader

    /// The front pool, sized like Tomcat's connector.
    public struct FrontPool: Sendable, Hashable {
        /// `front.max-threads`: the most handlers running at once. Default 200.
        public var maxThreads: Int
        /// `front.min-spare-threads`: threads started at once and kept. Default 10.
        public var minSpareThreads: Int
        /// `front.accept-queue`: requests that may wait for a front thread; beyond, 503. Default 100.
        public var acceptQueue: Int
        /// `front.keep-alive`: idle time before a thread above the spare ones exits. Default 60 s.
        public var keepAlive: Duration

        /// Creates the front pool's settings; see each property for its default.
        public init(maxThreads: Int = 200, minSpareThreads: Int = 10, acceptQueue: Int = 100, keepAlive: Duration = .seconds(60)) {
            self.maxThreads = maxThreads
            self.minSpareThreads = minSpareThreads
            self.acceptQueue = acceptQueue
            self.keepAlive = keepAlive
        }

        var poolConfiguration: ThreadPool.Configuration {
            ThreadPool.Configuration(
                name: "front", tier: .front, coreThreads: min(minSpareThreads, maxThreads), maxThreads: maxThreads,
                queueCapacity: acceptQueue, keepAlive: keepAlive, rejectionPolicy: .abort)
        }
    }

    /// Creates a configuration from code; every value has its documented default.
    public init(
        server: HTTPServer.Configuration = HTTPServer.Configuration(),
        front: FrontPool = FrontPool(),
        logLevel: Logger.Level = .info,
        reader: ConfigReader = ConfigReader(providers: [])
    ) {
        self.server = server
        self.front = front
        self.logLevel = logLevel
        self.reader = reader
    }

    /// Checks every value.
    /// - Throws: ``ConfigurationError`` naming the key of the first invalid value.
    public func validate() throws(ConfigurationError) {
        if !(0...65535).contains(server.port) { throw ConfigurationError("server.port must be between 0 and 65535, got \(server.port)") }
        if server.eventLoops < 1 { throw ConfigurationError("server.event-loops must be at least 1, got \(server.eventLoops)") }
        if server.maxConnections < 1 { throw ConfigurationError("server.max-connections must be at least 1, got \(server.maxConnections)") }
        if server.maxHeaderSize < 256 { throw ConfigurationError("server.max-header-size must be at least 256 bytes, got \(server.maxHeaderSize)") }
        if server.maxBodySize < 0 { throw ConfigurationError("server.max-body-size must not be negative, got \(server.maxBodySize)") }
        if server.idleTimeout <= .zero { throw ConfigurationError("server.idle-timeout must be positive") }
        if front.maxThreads < 1 { throw ConfigurationError("front.max-threads must be at least 1, got \(front.maxThreads)") }
        if front.minSpareThreads < 0 { throw ConfigurationError("front.min-spare-threads must not be negative, got \(front.minSpareThreads)") }
        if front.acceptQueue < 0 { throw ConfigurationError("front.accept-queue must not be negative, got \(front.acceptQueue)") }
    }
}
