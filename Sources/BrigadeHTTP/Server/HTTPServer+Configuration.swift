extension HTTPServer {
    /// The connector's settings. Each property documents its configuration key and default.
    public struct Configuration: Sendable, Hashable {
        /// `server.host`: the address to bind. Default `0.0.0.0`.
        public var host: String
        /// `server.port`: the port to bind; 0 picks a free one. Default 8080.
        public var port: Int
        /// `server.event-loops`: event-loop threads (accept, parse, write). Default: one per core.
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
        /// Default 20 s (Tomcat's stock `connectionTimeout`).
        public var idleTimeout: Duration
        /// `server.backlog`: the kernel's accept backlog. Default 1024.
        public var backlog: Int
        /// `server.name`: the `Server` header's value. Default `Brigade`.
        public var serverName: String

        /// Creates a configuration; see each property for its meaning and default.
        public init(
            host: String = "0.0.0.0",
            port: Int = 8080,
            eventLoops: Int = System.coreCount,
            maxConnections: Int = 8192,
            maxHeaderSize: Int = 8 * 1024,
            maxBodySize: Int = 2 * 1024 * 1024,
            idleTimeout: Duration = .seconds(20),
            backlog: Int = 1024,
            serverName: String = "Brigade"
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
        }
    }
}

import NIOCore
