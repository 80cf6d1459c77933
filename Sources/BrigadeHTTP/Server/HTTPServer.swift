import BrigadeExecutors
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The connector: accepts TCP connections on SwiftNIO event loops, parses HTTP/1.1, hands
/// each complete request to an ``HTTPResponder`` and writes its response.
///
/// Event loops only accept, parse and write; they are marked ``ThreadTier/eventLoop``.
/// Run it as a swift-service-lifecycle `Service` (``run()`` returns on graceful shutdown), or
/// call ``start()`` and ``shutdown()`` yourself.
public final class HTTPServer: Service, Sendable {
    private enum Lifecycle {
        case idle
        case running(any Channel)
        /// No longer accepting; connections wind down; the event loops still run.
        case quiescing
        case stopped
    }

    /// The configuration the server was created with.
    public let configuration: Configuration
    private let responder: any HTTPResponder
    private let logger: Logger
    /// The event loops the server's connections run on.
    public let eventLoopGroup: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let connectionCount = ConnectionCount()
    private let drainQueues = StreamDrainQueues()
    private let lifecycle = Mutex(Lifecycle.idle)

    /// Creates a server; nothing is bound until ``start()``.
    /// - Parameters:
    ///   - configuration: Address, limits and timeouts.
    ///   - responder: Receives every complete request, on an event loop.
    ///   - eventLoopGroup: Loops to use; by default the server makes
    ///     ``Configuration/eventLoops`` of its own and shuts them down with it.
    ///   - logger: For connection-level events.
    public init(
        configuration: Configuration,
        responder: any HTTPResponder,
        eventLoopGroup: MultiThreadedEventLoopGroup? = nil,
        logger: Logger = Logger(label: "brigade.http")
    ) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        if let eventLoopGroup {
            self.eventLoopGroup = eventLoopGroup
            self.ownsGroup = false
        } else {
            self.eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoops))
            self.ownsGroup = true
        }
        for (index, loop) in self.eventLoopGroup.makeIterator().enumerated() {
            loop.execute { ThreadTier.markCurrentThread(.eventLoop, name: "event-loop-\(index + 1)") }
        }
    }

    /// Connections open now.
    public var openConnections: Int { connectionCount.current }

    /// The bound port once started (useful with port 0).
    public var port: Int? {
        lifecycle.withLock { state in
            if case .running(let channel) = state { return channel.localAddress?.port }
            return nil
        }
    }

    /// Binds and starts accepting. Returns once the socket listens.
    /// - Throws: When the address cannot be bound, or the server was already started.
    public func start() async throws {
        let configuration = self.configuration
        let responder = self.responder
        let connectionCount = self.connectionCount
        let drainQueues = self.drainQueues
        let logger = self.logger
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = configuration.maxHeaderSize
        decoderLimits.maxHeaderFieldSize = configuration.maxHeaderSize
        let limits = decoderLimits
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionLimiter(limit: configuration.maxConnections, count: connectionCount))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Each connection keeps its last receive buffer for the next read: start it small
            // (most requests are a few hundred bytes; it grows for bodies), so ten thousand
            // idle or streaming connections do not each hold NIO's default 2 KiB.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withErrorHandling: false,
                        withOutboundHeaderValidation: false,  // the connection handler validates (and answers 500)
                        withEncoderConfiguration: .init(),
                        withDecoderLimitConfiguration: limits)
                    try sync.addHandler(HTTPConnectionHandler(
                        responder: responder, configuration: configuration, drainQueue: drainQueues.queue(for: channel.eventLoop),
                        logger: logger))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch let error as IOError {
            throw BindError(host: configuration.host, port: configuration.port, errno: error.errnoCode, reason: "\(error)")
        } catch let error as SocketAddressError.UnknownHost {
            throw BindError(host: configuration.host, port: configuration.port, errno: nil, reason: error.description)
        } catch let error as SocketAddressError {
            throw BindError(host: configuration.host, port: configuration.port, errno: nil, reason: "\(error)")
        }
        let started = lifecycle.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .running(channel)
            return true
        }
        guard started else {
            try? await channel.close()
            throw HTTPServerError(message: "the server was already started")
        }
        logger.info("listening", metadata: ["address": "\(configuration.host):\(channel.localAddress?.port ?? configuration.port)"])
    }

    /// Stops accepting and winds the open connections down, keeping the event loops running
    /// so that responses still in progress can be written (the first step of a graceful
    /// shutdown; ``shutdown()`` is the last).
    ///
    /// Idle keep-alive connections close at once; a connection with a request in progress
    /// gets its response (with `Connection: close`) and then closes. Connections accepted
    /// but held back by ``Configuration/maxConnections`` close unserved. Returns once the
    /// listening socket is closed; calling it again, or before ``start()``, does nothing.
    public func quiesce() async {
        let channel: (any Channel)? = lifecycle.withLock { state in
            guard case .running(let channel) = state else { return nil }
            state = .quiescing
            return channel
        }
        guard let channel else { return }
        // The limiter passes the event to every connection (and the acceptor closes the
        // socket); the close after it, queued on the same loop, makes sure of the latter.
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try? await channel.close()
    }

    /// Stops accepting, closes the listening socket and, if the server made its own event
    /// loops, shuts them down (open connections close with them). For a graceful stop, call
    /// ``quiesce()`` first and wait for the responses in progress.
    public func shutdown() async throws {
        let channel: (any Channel)? = lifecycle.withLock { state in
            defer { state = .stopped }
            if case .running(let channel) = state { return channel }
            return nil
        }
        if let channel { try? await channel.close() }
        if ownsGroup { try await eventLoopGroup.shutdownGracefully() }
    }

    /// Starts the server and runs until graceful shutdown (SIGTERM/SIGINT through a
    /// `ServiceGroup`) or task cancellation, then shuts it down.
    public func run() async throws {
        try await start()
        try? await gracefulShutdown()
        try await shutdown()
    }
}

/// An error from the connector's lifecycle.
public struct HTTPServerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String
    /// Creates an error with its message.
    public init(message: String) { self.message = message }
    public var description: String { message }
}
