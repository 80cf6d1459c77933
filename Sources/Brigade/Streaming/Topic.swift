import BrigadeExecutors
import NIOCore
import Synchronization

/// Events fanned out to every subscribed ``SseEmitter``: publish once, and every subscriber's
/// stream gets the same bytes (encoded once, shared, grouped per event loop by the
/// connector — one wake-up per loop, not per subscriber).
///
/// ```swift
/// let prices = Topic()
/// routes.get("/prices") { _ in
///     let emitter = SseEmitter(timeout: nil, heartbeat: .seconds(15), whenFull: .dropOldest)
///     prices.subscribe(emitter)
///     return emitter
/// }
/// prices.publish(ServerSentEvent(data: "42.10", event: "price"))   // from any thread
/// ```
/// Publishing never blocks: a subscriber whose buffer is full gets its emitter's policy when
/// that policy is `.dropOldest` or `.fail`, and misses the event (counted as dropped) when it
/// is `.wait` — one slow client never holds up the others. A subscriber whose stream ended
/// (completed, timed out, its client gone) leaves the topic by itself.
public final class Topic: Sendable {
    private struct State {
        var subscribers: [ObjectIdentifier: SseEmitter] = [:]
        /// The subscribers as an array, made again only when they changed.
        var snapshot: [SseEmitter]?
    }

    /// What one ``publish(_:)`` did.
    public struct Delivery: Sendable, Hashable {
        /// Subscribers whose stream took the event.
        public var delivered = 0
        /// Subscribers too slow to take it (their buffer full).
        public var dropped = 0
        /// Subscribers whose stream had ended (they left the topic).
        public var gone = 0
    }

    private let state = Mutex(State())

    /// Creates an empty topic.
    public init() {}

    /// Subscribers now.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Adds `emitter`, after sending it `replay` (the events it missed, for a
    /// `Last-Event-ID`): nothing published meanwhile is lost or sent twice, as long as the
    /// caller publishes and subscribes under one lock of its own, or replays nothing. The
    /// emitter leaves when its stream ends, or on ``unsubscribe(_:)``.
    public func subscribe(_ emitter: SseEmitter, replaying replay: [ServerSentEvent.Frame] = []) {
        for frame in replay { try? emitter.send(frame) }
        let id = ObjectIdentifier(emitter)
        state.withLock { state in
            state.subscribers[id] = emitter
            state.snapshot = nil
        }
        emitter.onCompletion { [weak self] in self?.remove(id) }
    }

    /// Removes `emitter` (its stream goes on).
    public func unsubscribe(_ emitter: SseEmitter) {
        remove(ObjectIdentifier(emitter))
    }

    /// Sends `event` to every subscriber.
    @discardableResult
    public func publish(_ event: ServerSentEvent) -> Delivery {
        publish(event.encoded())
    }

    /// Sends an encoded event to every subscriber: the same bytes to all.
    @discardableResult
    public func publish(_ frame: ServerSentEvent.Frame) -> Delivery {
        let subscribers = state.withLock { state -> [SseEmitter] in
            if let snapshot = state.snapshot { return snapshot }
            let snapshot = Array(state.subscribers.values)
            state.snapshot = snapshot
            return snapshot
        }
        var delivery = Delivery()
        var gone: [ObjectIdentifier] = []
        var metrics: StreamExchange?
        // One burst: every subscriber's stream is drained when it ends, one task per event loop.
        StreamDrainBatch.run { batch in
            for subscriber in subscribers {
                switch subscriber.core.offer(frame.bytes, chunk: frame.chunk, batch: batch) {
                case .accepted(let exchange):
                    delivery.delivered += 1
                    metrics = metrics ?? exchange
                case .full: delivery.dropped += 1
                case .closed:
                    delivery.gone += 1
                    gone.append(ObjectIdentifier(subscriber))
                }
            }
        }
        metrics?.countSent(delivery.delivered)
        if !gone.isEmpty {
            state.withLock { state in
                for id in gone { state.subscribers[id] = nil }
                state.snapshot = nil
            }
        }
        return delivery
    }

    private func remove(_ id: ObjectIdentifier) {
        state.withLock { state in
            guard state.subscribers.removeValue(forKey: id) != nil else { return }
            state.snapshot = nil
        }
    }
}
