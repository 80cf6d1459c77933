import NIOCore
import Synchronization

/// Caps open connections like Tomcat's `maxConnections`: at the limit the server stops
/// accepting, so new connections wait in the kernel's backlog; it resumes as soon as one closes.
///
/// Lives in the listening channel's pipeline; its counters are only touched on that
/// channel's event loop, except ``open`` which is atomic for observers.
final class ConnectionLimiter: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let limit: Int
    private let openConnections: Atomic<Int>

    init(limit: Int) {
        self.limit = limit
        self.openConnections = Atomic(0)
    }

    /// Connections open now.
    var open: Int { openConnections.load(ordering: .relaxed) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        let count = openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        let server = context.channel
        let loop = context.eventLoop
        if count >= limit {
            server.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        child.closeFuture.whenComplete { [self] _ in
            loop.execute {
                let remaining = self.openConnections.wrappingSubtract(1, ordering: .relaxed).newValue
                if remaining == self.limit - 1 {
                    server.setOption(ChannelOptions.autoRead, value: true).whenSuccess { server.read() }
                }
            }
        }
        context.fireChannelRead(data)
    }
}
