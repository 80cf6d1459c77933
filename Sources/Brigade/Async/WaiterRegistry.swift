import BrigadeExecutors
import Synchronization

/// Long polls by key: handlers return a ``DeferredResult`` that waits for a key — "the books
/// after 41", "order 17's status" — and any thread completes every waiter of a key at once.
///
/// ```swift
/// let statuses = WaiterRegistry<Int, OrderStatus>(timeoutResult: .unchanged)
///
/// routes.get("/orders/{id}/status") { request in
///     statuses.wait(for: try request.pathParameter("id", as: Int.self), timeout: .seconds(30))
/// }
/// // Anywhere, any thread — a PostgresListener handler, a back executor:
/// statuses.complete(17, with: .shipped)
/// ```
/// - A waiter leaves the registry as soon as its request ends: completed, timed out (its
///   timeout result, else `503`), or its client gone.
/// - Bounds: ``Limits/perKey`` waiters for one key and ``Limits/total`` in all; past them
///   ``wait(for:timeout:)`` answers `503` with `Retry-After` at once.
/// - Its results end as soon as graceful shutdown begins, answered as on timeout
///   (``DeferredResult/endsWhenShutdownBegins``): the client asks again, and a load balancer
///   sends it to an instance that stays.
/// - It knows nothing of where completions come from: across instances, complete from a
///   `PostgresListener` handler (BrigadePostgres) on a notification carrying the key.
///
/// Every method is thread-safe and never blocks; results are set outside its lock.
public final class WaiterRegistry<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// How many requests may wait.
    public struct Limits: Sendable, Hashable {
        /// Waiters for one key, at most. Default 1,000.
        public var perKey: Int
        /// Waiters in all, at most. Default 10,000.
        public var total: Int

        /// Creates limits; both must be at least 1.
        public init(perKey: Int = 1_000, total: Int = 10_000) {
            self.perKey = max(1, perKey)
            self.total = max(1, total)
        }
    }

    private struct State {
        var byKey: [Key: [UInt64: DeferredResult<Value>]] = [:]
        var keyOf: [UInt64: Key] = [:]
        var nextID: UInt64 = 0
        var watchers: [Watcher] = []

        /// Removes and returns the watchers whose condition holds for the count now.
        mutating func satisfiedWatchers() -> [Watcher] {
            guard !watchers.isEmpty else { return [] }
            let count = keyOf.count
            var ready: [Watcher] = []
            watchers.removeAll { watcher in
                guard watcher.condition(count) else { return false }
                ready.append(watcher)
                return true
            }
            return ready
        }
    }

    private struct Watcher {
        let condition: @Sendable (Int) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    /// The bounds given at creation.
    public let limits: Limits
    private let makeResult: @Sendable (Duration?) -> DeferredResult<Value>
    private let state = Mutex(State())

    private init(limits: Limits, makeResult: @escaping @Sendable (Duration?) -> DeferredResult<Value>) {
        self.limits = limits
        self.makeResult = makeResult
    }

    /// A registry whose waiters answer `timeoutResult` when their timeout passes.
    public convenience init(limits: Limits = Limits(), timeoutResult: Value) where Value: ResponseGenerator {
        self.init(limits: limits) { DeferredResult(timeout: $0, timeoutResult: timeoutResult) }
    }

    /// A registry whose values are sent as JSON, and whose waiters answer `timeoutResult`
    /// (as JSON) when their timeout passes — `[]` for "nothing new, ask again".
    @_disfavoredOverload
    public convenience init(limits: Limits = Limits(), timeoutResult: Value) where Value: Encodable {
        self.init(limits: limits) { DeferredResult(timeout: $0, timeoutResult: timeoutResult) }
    }

    /// A registry whose waiters answer `503` when their timeout passes.
    public convenience init(limits: Limits = Limits()) where Value: ResponseGenerator {
        self.init(limits: limits) { DeferredResult(timeout: $0) }
    }

    /// A registry whose values are sent as JSON; its waiters answer `503` on timeout.
    @_disfavoredOverload
    public convenience init(limits: Limits = Limits()) where Value: Encodable {
        self.init(limits: limits) { DeferredResult(timeout: $0) }
    }

    /// A result that waits for `key`: return it from the handler.
    ///
    /// Registered before this returns, so a ``complete(_:with:)`` from now on reaches it —
    /// register first, then look for what may already be there (and set the result yourself
    /// if it is). Past the limits it is answered `503` (with `Retry-After: 1`) at once.
    /// - Parameters:
    ///   - key: What it waits for.
    ///   - timeout: How long it may wait; `nil` uses `async.timeout`.
    public func wait(for key: Key, timeout: Duration? = nil) -> DeferredResult<Value> {
        let result = makeResult(timeout)
        result.endsWhenShutdownBegins = true
        let limits = self.limits
        let (id, refusal, watchers) = state.withLock { state -> (UInt64, String?, [Watcher]) in
            if state.keyOf.count >= limits.total {
                return (0, "too many requests are waiting (\(limits.total), the most this server holds); try again", [])
            }
            if state.byKey[key, default: [:]].count >= limits.perKey {
                return (0, "too many requests are waiting for the same thing (\(limits.perKey)); try again", [])
            }
            state.nextID &+= 1
            state.byKey[key, default: [:]][state.nextID] = result
            state.keyOf[state.nextID] = key
            return (state.nextID, nil, state.satisfiedWatchers())
        }
        for watcher in watchers { watcher.continuation.resume() }
        if let refusal {
            result.setErrorResult(HTTPError(.serviceUnavailable, refusal, headers: ["retry-after": "1"]))
            return result
        }
        result.onCompletion { [weak self] in self?.remove(id) }
        return result
    }

    /// Completes every request waiting for `key` with `value`.
    /// - Returns: How many were answered (those whose request had not ended meanwhile).
    @discardableResult
    public func complete(_ key: Key, with value: Value) -> Int {
        take(key).reduce(0) { $0 + ($1.setResult(value) ? 1 : 0) }
    }

    /// Fails every request waiting for `key`: `error` is resolved like a handler's.
    /// - Returns: How many were answered.
    @discardableResult
    public func fail(_ key: Key, with error: any Error) -> Int {
        take(key).reduce(0) { $0 + ($1.setErrorResult(error) ? 1 : 0) }
    }

    /// Completes every waiting request, whatever its key, with `value`.
    /// - Returns: How many were answered.
    @discardableResult
    public func completeAll(with value: Value) -> Int {
        let (results, watchers) = state.withLock { state -> ([DeferredResult<Value>], [Watcher]) in
            let results = state.byKey.values.flatMap(\.values)
            state.byKey.removeAll()
            state.keyOf.removeAll()
            return (results, state.satisfiedWatchers())
        }
        for watcher in watchers { watcher.continuation.resume() }
        return results.reduce(0) { $0 + ($1.setResult(value) ? 1 : 0) }
    }

    /// The keys some request waits for now.
    public var keys: [Key] { state.withLock { Array($0.byKey.keys) } }

    /// Requests waiting now.
    public var count: Int { state.withLock { $0.keyOf.count } }

    /// Requests waiting for `key` now.
    public func count(for key: Key) -> Int { state.withLock { $0.byKey[key]?.count ?? 0 } }

    /// Returns once `condition` holds for the number of waiting requests (at once if it does
    /// now): a signal for tests and tools, so that nobody sleeps to learn that a poll waits.
    public func waitUntil(_ condition: @escaping @Sendable (Int) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let holds = state.withLock { state -> Bool in
                if condition(state.keyOf.count) { return true }
                state.watchers.append(Watcher(condition: condition, continuation: continuation))
                return false
            }
            if holds { continuation.resume() }
        }
    }

    // MARK: private

    /// Removes and returns the waiters of `key`.
    private func take(_ key: Key) -> [DeferredResult<Value>] {
        let (results, watchers) = state.withLock { state -> ([DeferredResult<Value>], [Watcher]) in
            guard let waiters = state.byKey.removeValue(forKey: key) else { return ([], []) }
            for id in waiters.keys { state.keyOf[id] = nil }
            return (Array(waiters.values), state.satisfiedWatchers())
        }
        for watcher in watchers { watcher.continuation.resume() }
        return results
    }

    /// A request ended: forget it (if a completion has not already).
    private func remove(_ id: UInt64) {
        let watchers = state.withLock { state -> [Watcher] in
            guard let key = state.keyOf.removeValue(forKey: id) else { return [] }
            state.byKey[key]?[id] = nil
            if state.byKey[key]?.isEmpty == true { state.byKey[key] = nil }
            return state.satisfiedWatchers()
        }
        for watcher in watchers { watcher.continuation.resume() }
    }
}
