import BrigadeExecutors

/// What a blocking pool call does where it does not belong: on a front-tier thread
/// (`database.front-tier-access`) or in `async` code, holding the thread that runs the task — a
/// front thread for an `async` handler, otherwise one of Swift's concurrency pool
/// (`database.async-tier-access`).
public enum TierAccess: String, Sendable, Hashable, CaseIterable {
    /// Let it through silently.
    case allow
    /// Let it through and log a warning naming the caller (the default).
    case warn
    /// Throw ``PostgresError`` `.tierViolation`.
    case fail
}

/// The policy of `database.front-tier-access` (the name it had before it also served
/// `database.async-tier-access`).
public typealias FrontTierAccess = TierAccess

extension PostgresPool {
    /// The pool's settings, with HikariCP's meanings. Each property names the configuration
    /// key the application layer reads it from.
    public struct Configuration: Sendable, Hashable {
        /// The server to connect to: a `postgres://` URL or a libpq conninfo string.
        /// Key `database.url`. No default.
        public var url: String
        /// The most connections the pool opens (idle plus in use). Key `database.max-size`.
        /// Default 10.
        public var maxSize: Int
        /// The number of idle connections the pool keeps ready, opened in the background;
        /// `nil` means ``maxSize`` (a fixed-size pool, HikariCP's default). Key
        /// `database.min-idle`. Default `nil`.
        public var minIdle: Int?
        /// How long a caller waits for a connection before ``PoolTimeout`` is thrown (the
        /// web tier answers 503); a request's earlier deadline wins. Key
        /// `database.connection-timeout`. Default 30 s.
        public var connectionTimeout: Duration
        /// How long a connection above ``minIdle`` may sit idle before it is closed; `nil`
        /// never. Key `database.idle-timeout`. Default 10 minutes.
        public var idleTimeout: Duration?
        /// How old a connection may get: it is closed when returned (or found idle) after
        /// that, and replaced; `nil` never. Key `database.max-lifetime`. Default 30 minutes.
        public var maxLifetime: Duration?
        /// A connection idle at least this long is checked with a round trip before it is
        /// handed out; a dead one is replaced without the caller noticing. Key
        /// `database.validation-threshold`. Default 500 ms.
        public var validationThreshold: Duration
        /// How long that check may take. Key `database.validation-timeout`. Default 5 s.
        public var validationTimeout: Duration
        /// A connection held longer than this is reported as a possible leak (a warning with
        /// the thread, file, line and function that took it); `nil` disables it. Key
        /// `database.leak-detection-threshold`. Default `nil`.
        public var leakDetectionThreshold: Duration?
        /// What a call from a front-tier thread does; event-loop threads always fail. Key
        /// `database.front-tier-access`. Default ``FrontTierAccess/warn``.
        public var frontTierAccess: TierAccess
        /// What a call from `async` code does — a Swift task, which runs on one of the few
        /// threads of Swift's cooperative pool (as many as cores): blocking it stalls every
        /// task scheduled behind it. The fix is to await the call through a back executor
        /// (`try await app.executors.run { … }`). A warning is logged once per call site. Key
        /// `database.async-tier-access`. Default ``TierAccess/warn``.
        public var asyncTierAccess: TierAccess
        /// Prepared statements kept per connection. Key `database.statement-cache-size`.
        /// Default 256.
        public var statementCacheCapacity: Int
        /// How often the pool's housekeeping runs (retiring idle and old connections,
        /// refilling ``minIdle``, checking leaks); it runs more often when the leak threshold
        /// or idle timeout is short. Key `database.housekeeping-interval`. Default 30 s.
        public var housekeepingInterval: Duration

        /// ``maxSize``'s default: 10 connections, as HikariCP.
        public static let defaultMaxSize = 10

        /// Creates a configuration; see each property for its default.
        public init(
            url: String,
            maxSize: Int = defaultMaxSize,
            minIdle: Int? = nil,
            connectionTimeout: Duration = .seconds(30),
            idleTimeout: Duration? = .seconds(600),
            maxLifetime: Duration? = .seconds(1800),
            validationThreshold: Duration = .milliseconds(500),
            validationTimeout: Duration = .seconds(5),
            leakDetectionThreshold: Duration? = nil,
            frontTierAccess: TierAccess = .warn,
            asyncTierAccess: TierAccess = .warn,
            statementCacheCapacity: Int = 256,
            housekeepingInterval: Duration = .seconds(30)
        ) {
            self.url = url
            self.maxSize = maxSize
            self.minIdle = minIdle
            self.connectionTimeout = connectionTimeout
            self.idleTimeout = idleTimeout
            self.maxLifetime = maxLifetime
            self.validationThreshold = validationThreshold
            self.validationTimeout = validationTimeout
            self.leakDetectionThreshold = leakDetectionThreshold
            self.frontTierAccess = frontTierAccess
            self.asyncTierAccess = asyncTierAccess
            self.statementCacheCapacity = statementCacheCapacity
            self.housekeepingInterval = housekeepingInterval
        }

        /// ``minIdle`` with its default applied.
        public var effectiveMinIdle: Int { minIdle ?? maxSize }

        /// Checks the values.
        /// - Throws: ``ConfigurationError`` naming the first invalid key and value.
        public func validate() throws(ConfigurationError) {
            if url.isEmpty { throw ConfigurationError("database.url must not be empty") }
            if maxSize < 1 { throw ConfigurationError("database.max-size must be at least 1, got \(maxSize)") }
            if let minIdle, minIdle < 0 || minIdle > maxSize {
                throw ConfigurationError("database.min-idle must be between 0 and database.max-size (\(maxSize)), got \(minIdle)")
            }
            if connectionTimeout <= .zero { throw ConfigurationError("database.connection-timeout must be positive") }
            if let idleTimeout, idleTimeout <= .zero { throw ConfigurationError("database.idle-timeout must be positive") }
            if let maxLifetime, maxLifetime <= .zero { throw ConfigurationError("database.max-lifetime must be positive") }
            if validationThreshold < .zero { throw ConfigurationError("database.validation-threshold must not be negative") }
            if validationTimeout <= .zero { throw ConfigurationError("database.validation-timeout must be positive") }
            if let leakDetectionThreshold, leakDetectionThreshold <= .zero {
                throw ConfigurationError("database.leak-detection-threshold must be positive")
            }
            if statementCacheCapacity < 0 { throw ConfigurationError("database.statement-cache-size must not be negative") }
            if housekeepingInterval <= .zero { throw ConfigurationError("database.housekeeping-interval must be positive") }
        }

        /// The housekeeping period actually used: short enough to notice leaks and idle
        /// timeouts within about half their threshold.
        var tick: Duration {
            var tick = housekeepingInterval
            if let leakDetectionThreshold { tick = min(tick, leakDetectionThreshold / 2) }
            if let idleTimeout { tick = min(tick, idleTimeout / 2) }
            if let maxLifetime { tick = min(tick, maxLifetime / 2) }
            return max(tick, .milliseconds(10))
        }
    }
}

extension PostgresPool.Configuration {
    /// Reads the pool's settings from the `database.*` keys (see each property for its key
    /// and default); `database.url` is required unless `defaultURL` is given.
    /// - Parameters:
    ///   - keys: Typed access to the application's configuration.
    ///   - defaultURL: The server to use when `database.url` is not set (say, an
    ///     `EmbeddedPostgres`).
    /// - Throws: ``ConfigurationError`` naming the key of a missing or invalid value.
    public init(keys: ConfigKeys, defaultURL: String? = nil) throws(ConfigurationError) {
        guard let url = keys.string("database.url") ?? defaultURL else {
            throw ConfigurationError("database.url is required (DATABASE_URL, --database-url)")
        }
        let defaults = PostgresPool.Configuration(url: url)
        func policy(_ key: String, default defaultPolicy: TierAccess) throws(ConfigurationError) -> TierAccess {
            guard let text = keys.string(key) else { return defaultPolicy }
            guard let policy = TierAccess(rawValue: text.lowercased()) else {
                throw ConfigurationError("\(key) must be allow, warn or fail, got '\(text)'")
            }
            return policy
        }
        self.init(
            url: url,
            maxSize: try keys.int("database.max-size") ?? defaults.maxSize,
            minIdle: try keys.int("database.min-idle") ?? defaults.minIdle,
            connectionTimeout: try keys.duration("database.connection-timeout") ?? defaults.connectionTimeout,
            idleTimeout: try keys.optionalDuration("database.idle-timeout") ?? defaults.idleTimeout,
            maxLifetime: try keys.optionalDuration("database.max-lifetime") ?? defaults.maxLifetime,
            validationThreshold: try keys.duration("database.validation-threshold") ?? defaults.validationThreshold,
            validationTimeout: try keys.duration("database.validation-timeout") ?? defaults.validationTimeout,
            leakDetectionThreshold: try keys.optionalDuration("database.leak-detection-threshold") ?? defaults.leakDetectionThreshold,
            frontTierAccess: try policy("database.front-tier-access", default: defaults.frontTierAccess),
            asyncTierAccess: try policy("database.async-tier-access", default: defaults.asyncTierAccess),
            statementCacheCapacity: try keys.int("database.statement-cache-size") ?? defaults.statementCacheCapacity,
            housekeepingInterval: try keys.duration("database.housekeeping-interval") ?? defaults.housekeepingInterval)
        try validate()
    }
}
