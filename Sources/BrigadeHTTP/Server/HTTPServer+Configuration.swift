import BrigadeExecutors
import NIOCore

extension HTTPServer {
    /// The connector's settings. Each property documents its configuration key and default.
    public struct Configuration: Sendable, Hashable {
        /// `server.host`: the address to bind. Default `0.0.0.0`.
        public var host: String
        /// `server.port`: the port to bind; 0 picks a free one. Default 8080.
        public var port: Int
        /// `server.event-loops`: event-loop threads (accept, parse, write). Default: one per CPU
        /// this process may use (its affinity mask: `taskset`, a container's cpuset).
        public var eventLoops: Int
        /// `server.max-connections`: open connections at most; beyond it new ones wait in the
        /// kernel's backlog (as Tomcat's `maxConnections`). Default 8192.
        public var maxConnections: Int
        /// `server.max-header-size`: bytes of request line and headers at most; more → 431.
        /// Default 8 KiB.
        public var maxHeaderSize: Int
        /// `server.max-body-size`: bytes of request body at most; more → 413. Default 2 MiB.
        public var maxBodySize: Int
        /// `server.idle-timeout`: a connection with no request in progress (waiting for the
        /// first or the next request, or stalled in the middle of one) is closed after this.
        /// A request head arriving slowly (slowloris) counts as nothing received until it is
        /// complete. Default 20 s (Tomcat's stock `connectionTimeout`).
        public var idleTimeout: Duration
        /// `server.body-timeout`: the whole request body must arrive within this, counted from
        /// the head's arrival; else `408 Request Timeout` and the connection closes (nginx's
        /// `client_body_timeout` bounds the gap between reads — here `server.idle-timeout`
        /// does that — this bounds the whole body). `nil` (`off`) for no limit. Raise it with
        /// `server.max-body-size` for large uploads over slow links. Default 60 s.
        public var bodyTimeout: Duration?
        /// `server.min-body-rate`: bytes per second a request body must average, measured from
        /// the head's arrival, once ``minBodyRateGrace`` has passed; slower → `408` and close
        /// (Kestrel's `MinRequestBodyDataRate`). It cuts bodies trickled to hold connections
        /// (R-U-Dead-Yet). 0 switches it off. Default 240 (Kestrel's).
        public var minBodyRate: Int
        /// `server.min-body-rate-grace`: how long a body may arrive slower than
        /// ``minBodyRate`` before it is measured. Default 5 s (Kestrel's).
        public var minBodyRateGrace: Duration
        /// The bytes of a streamed request body (a route with ``RequestBodyMode/stream(maxSize:)``)
        /// that may wait for its reader before the connector stops reading the socket; reading
        /// resumes at half. Default 128 KiB. (For streamed bodies, ``bodyTimeout`` bounds each
        /// wait for bytes while the connector reads, and ``minBodyRate`` counts only the time
        /// it reads: time the reader is behind is not the client's.)
        public var requestBodyWindow: Int
        /// `server.backlog`: the kernel's accept backlog. Default 1024.
        public var backlog: Int
        /// `server.name`: the `Server` header's value. Default `Brigade`.
        public var serverName: String

        /// Creates a configuration; see each property for its meaning and default.
        public init(
            host: String = "0.0.0.0",
            port: Int = 8080,
            eventLoops: Int = CPUSet.available,
            maxConnections: Int = 8192,
            maxHeaderSize: Int = 8 * 1024,
            maxBodySize: Int = 2 * 1024 * 1024,
            idleTimeout: Duration = .seconds(20),
            backlog: Int = 1024,
            serverName: String = "Brigade",
            bodyTimeout: Duration? = .seconds(60),
            minBodyRate: Int = 240,
            minBodyRateGrace: Duration = .seconds(5),
            requestBodyWindow: Int = 128 * 1024
        ) {
            self.host = host
            self.port = port
            self.eventLoops = eventLoops
            self.maxConnections = maxConnections
            self.maxHeaderSize = maxHeaderSize
            self.maxBodySize = maxBodySize
            self.idleTimeout = idleTimeout
            self.backlog = backlog
            self.serverName = serverName
            self.bodyTimeout = bodyTimeout
            self.minBodyRate = minBodyRate
            self.minBodyRateGrace = minBodyRateGrace
            self.requestBodyWindow = requestBodyWindow
        }
    }
}
