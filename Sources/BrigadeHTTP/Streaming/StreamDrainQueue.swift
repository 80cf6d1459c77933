import NIOCore
import Synchronization

/// The streams of one event loop that have parts to write, drained together: a burst of sends
/// to many streams — a tick fanned out to every subscriber — costs the loop one wake-up and
/// one task, not one per stream.
final class StreamDrainQueue: Sendable {
    private struct Pending {
        var items: [(ConnectionTarget, HTTPBodyStream)] = []
        var scheduled = false
    }

    let eventLoop: any EventLoop
    private let pending = Mutex(Pending())

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Queues `stream` for the next drain, scheduling one on the loop if none is.
    func enqueue(_ target: ConnectionTarget, _ stream: HTTPBodyStream) {
        let schedule = pending.withLock { pending -> Bool in
            pending.items.append((target, stream))
            guard !pending.scheduled else { return false }
            pending.scheduled = true
            return true
        }
        if schedule { eventLoop.execute { self.run() } }
    }

    /// On the loop: writes every queued stream's parts (each connection flushes once).
    private func run() {
        let items = pending.withLock { pending -> [(ConnectionTarget, HTTPBodyStream)] in
            pending.scheduled = false
            defer { pending.items = [] }
            return pending.items
        }
        for (target, stream) in items { target.drainNow(stream) }
    }
}

/// One ``StreamDrainQueue`` per event loop of a server.
final class StreamDrainQueues: Sendable {
    private let queues = Mutex<[ObjectIdentifier: StreamDrainQueue]>([:])

    /// The queue of `eventLoop`, made the first time it is asked for.
    func queue(for eventLoop: any EventLoop) -> StreamDrainQueue {
        queues.withLock { queues in
            let key = ObjectIdentifier(eventLoop)
            if let queue = queues[key] { return queue }
            let queue = StreamDrainQueue(eventLoop: eventLoop)
            queues[key] = queue
            return queue
        }
    }
}
