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

    /// Queues several streams at once (a ``StreamDrainBatch``), scheduling one drain.
    func enqueue(contentsOf items: [(ConnectionTarget, HTTPBodyStream)]) {
        guard !items.isEmpty else { return }
        let schedule = pending.withLock { pending -> Bool in
            pending.items.append(contentsOf: items)
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

/// The drains a burst of writes to many streams asks for — a topic fanning one event out to
/// every subscriber — held until the burst ends and then scheduled together: one task per
/// event loop for the whole burst. Without it the first write of a burst wakes a loop, which
/// may run at once (on a busy core, before the burst goes on) and drain a handful of
/// streams, then sleep and be woken again for the next handful.
///
/// Made and used on one thread, for the length of one burst (``run(_:)``).
public final class StreamDrainBatch {
    /// One event loop's streams (a class, so appending never copies the array).
    private final class Entry {
        let queue: StreamDrainQueue
        var items: [(ConnectionTarget, HTTPBodyStream)] = []
        init(_ queue: StreamDrainQueue) { self.queue = queue }
    }

    private var entries: [ObjectIdentifier: Entry] = [:]
    /// The entry used last: consecutive writes mostly go to one loop's streams.
    private var last: Entry?

    private init() {}

    /// Runs `body` with a batch, then schedules every drain it collected.
    public static func run<R>(_ body: (StreamDrainBatch) throws -> R) rethrows -> R {
        let batch = StreamDrainBatch()
        defer { batch.flush() }
        return try body(batch)
    }

    func add(_ target: ConnectionTarget, _ stream: HTTPBodyStream, on queue: StreamDrainQueue) {
        let entry: Entry
        if let last, last.queue === queue {
            entry = last
        } else if let found = entries[ObjectIdentifier(queue)] {
            entry = found
        } else {
            entry = Entry(queue)
            entries[ObjectIdentifier(queue)] = entry
        }
        entry.items.append((target, stream))
        last = entry
    }

    private func flush() {
        for entry in entries.values { entry.queue.enqueue(contentsOf: entry.items) }
        entries = [:]
        last = nil
    }
}
