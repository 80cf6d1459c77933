import BrigadeExecutors

extension Configuration {
    /// The management port (metrics, health, pool advice, the dashboard, live resizing) and
    /// the watchdog: `management.*` keys.
    public struct Management: Sendable, Hashable {
        /// `management.enabled`: whether to serve the management port. Default `true`.
        public var enabled: Bool
        /// `management.host`: the address it binds. Default `127.0.0.1` (this machine only).
        public var host: String
        /// `management.port`: its port; `nil` means the main port + 1 (or any free port when
        /// the main port is 0). Default `nil`.
        public var port: Int?
        /// `management.sample-interval`: how often the pools are sampled for history,
        /// advice and the watchdog. Default 1 s.
        public var sampleInterval: Duration
        /// `management.advice-window`: the sliding window advice is computed over. Default 60 s.
        public var adviceWindow: Duration
        /// `management.history`: how much history the dashboard gets. Default 5 min.
        public var history: Duration
        /// `management.headroom`: what recommended sizes add to Little's law, as a fraction.
        /// Default 0.2 (20 %).
        public var headroom: Double
        /// `management.saturation-threshold`: how long a pool must stay saturated before the
        /// watchdog reports it. Default 5 s.
        public var saturationThreshold: Duration
        /// `management.front-blocking-threshold`: a handler holding a front thread longer than
        /// this is reported as blocking the front tier. Default 100 ms.
        public var frontBlockingThreshold: Duration

        /// Creates the settings; see each property for its default.
        public init(
            enabled: Bool = true, host: String = "127.0.0.1", port: Int? = nil,
            sampleInterval: Duration = .seconds(1), adviceWindow: Duration = .seconds(60),
            history: Duration = .seconds(300), headroom: Double = 0.2,
            saturationThreshold: Duration = .seconds(5), frontBlockingThreshold: Duration = .milliseconds(100)
        ) {
            self.enabled = enabled
            self.host = host
            self.port = port
            self.sampleInterval = sampleInterval
            self.adviceWindow = adviceWindow
            self.history = history
            self.headroom = headroom
            self.saturationThreshold = saturationThreshold
            self.frontBlockingThreshold = frontBlockingThreshold
        }

        init(keys: ConfigKeys) throws(ConfigurationError) {
            let defaults = Management()
            self.init(
                enabled: try keys.bool("management.enabled") ?? defaults.enabled,
                host: keys.string("management.host") ?? defaults.host,
                port: try keys.int("management.port"),
                sampleInterval: try keys.duration("management.sample-interval") ?? defaults.sampleInterval,
                adviceWindow: try keys.duration("management.advice-window") ?? defaults.adviceWindow,
                history: try keys.duration("management.history") ?? defaults.history,
                headroom: try Self.fraction(keys, "management.headroom") ?? defaults.headroom,
                saturationThreshold: try keys.duration("management.saturation-threshold") ?? defaults.saturationThreshold,
                frontBlockingThreshold: try keys.duration("management.front-blocking-threshold") ?? defaults.frontBlockingThreshold)
        }

        private static func fraction(_ keys: ConfigKeys, _ key: String) throws(ConfigurationError) -> Double? {
            guard let text = keys.string(key) else { return nil }
            guard let value = Double(text) else { throw ConfigurationError("\(key) must be a number, got '\(text)'") }
            return value
        }

        /// Checks the values.
        /// - Throws: ``ConfigurationError`` naming the key of the first invalid value.
        public func validate() throws(ConfigurationError) {
            if let port, !(0...65535).contains(port) { throw ConfigurationError("management.port must be between 0 and 65535, got \(port)") }
            if sampleInterval < .milliseconds(10) { throw ConfigurationError("management.sample-interval must be at least 10ms") }
            if adviceWindow < sampleInterval * 2 { throw ConfigurationError("management.advice-window must be at least two sample intervals") }
            if history < adviceWindow { throw ConfigurationError("management.history must be at least management.advice-window") }
            if !(0...10).contains(headroom) { throw ConfigurationError("management.headroom must be between 0 and 10, got \(headroom)") }
            if saturationThreshold < .zero { throw ConfigurationError("management.saturation-threshold must not be negative") }
            if frontBlockingThreshold <= .zero { throw ConfigurationError("management.front-blocking-threshold must be positive") }
        }
    }
}
