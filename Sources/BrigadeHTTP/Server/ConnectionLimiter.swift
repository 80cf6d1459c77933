import NIOCore
import Synchronization

/// Caps open connections like Tomcat's `maxConnections`: at the limit the server stops
/// accepting, so new connections wait in the kernel's backlog; it resumes as soon as one closes.
///
/// Turning `autoRead` off only takes effect after the current read: one wake-up of the
/// listening socket may accept several connections at once (up to `maxMessagesPerRead`).
/// Those beyond the limit are held here, unregistered and unread, and admitted in order as
/// connections close — so the limit holds even for a burst.
///
/// It also knows every admitted connection, which is how ``HTTPServer/quiesce()`` reaches
/// them: a `ChannelShouldQuiesceEvent` fired on the listening channel is passed to each
/// connection (whose `HTTPServerPipelineHandler` closes it when idle, or right after the
/// response in progress), connections held back are closed unserved, and the event goes on
/// to the bootstrap's acceptor, which closes the listening socket.
///
/// Lives in the listening channel's pipeline and runs on its event loop; one is made per
/// listening channel. Only ``ConnectionCount`` is shared with other threads.
final class ConnectionLimiter: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let limit: Int
    private let count: ConnectionCount
    /// Connections admitted and not yet closed.
    private var open: [ObjectIdentifier: any Channel] = [:]
    /// Accepted beyond the limit, waiting for a slot, oldest first.
    private var waiting = CircularBuffer<any Channel>()
    /// Whether new connections are still admitted (not after quiescing or closing).
    private var isAccepting = true

    init(limit: Int, count: ConnectionCount) {
        self.limit = max(1, limit)
        self.count = count
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let child = unwrapInboundIn(data)
        if !isAccepting {
            child.close(promise: nil)
        } else if open.count < limit {
            admit(child, context: context)
        } else {
            waiting.append(child)
        }
    }

    private func admit(_ child: any Channel, context: ChannelHandlerContext) {
        let id = ObjectIdentifier(child)
        open[id] = child
        count.store(open.count)
        if open.count == limit {
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        child.closeFuture.whenComplete { _ in
            bound.eventLoop.execute {
                let (limiter, context) = bound.value
                limiter.released(id, context: context)
            }
        }
        context.fireChannelRead(wrapInboundOut(child))
    }

    private func released(_ id: ObjectIdentifier, context: ChannelHandlerContext) {
        open[id] = nil
        count.store(open.count)
        guard isAccepting else { return }
        if let next = waiting.popFirst() {
            admit(next, context: context)  // still at the limit: accepting stays paused
        } else if open.count == limit - 1 {
            let server = context.channel
            server.setOption(ChannelOptions.autoRead, value: true).whenSuccess { server.read() }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            stopAccepting()
            for child in open.values { child.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopAccepting()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopAccepting()
    }

    /// The server is stopping: connections that were never admitted are closed unserved.
    private func stopAccepting() {
        isAccepting = false
        while let child = waiting.popFirst() { child.close(promise: nil) }
    }
}

/// Connections open now: written by the ``ConnectionLimiter`` on its event loop, readable
/// from any thread.
final class ConnectionCount: Sendable {
    private let value = Atomic(0)

    /// The number of admitted connections not yet closed.
    var current: Int { value.load(ordering: .relaxed) }

    func store(_ open: Int) { value.store(open, ordering: .relaxed) }
}
