import Brigade
import BrigadePostgres
import Synchronization

/// The long polls of `GET /books/changes?after=<id>`, completed by PostgreSQL notifications.
///
/// Each poll is a `DeferredResult` registered here with its `after` id; it unregisters itself
/// from `onCompletion`, whatever ended it (a result, its timeout, the client leaving), so
/// nothing leaks. The ``BookChangeListener`` hands over every `book_changes` notification
/// (payload: the new book's id); the feed then reads the newer books — on its own small back
/// executor, never on the listener or a front thread — and completes the polls waiting for
/// them. Since every instance listens on the same database, an insert through any instance
/// completes the polls of all of them.
final class BookChangeFeed: Sendable {
    private struct Waiter {
        let after: Int
        let result: DeferredResult<[Book]>
    }

    /// How many polls are registered, and how many of them are armed: their first look at
    /// the table found nothing newer, so only a notification (or the timeout) answers them.
    struct Counts: Sendable, Equatable {
        var registered: Int
        var armed: Int
    }

    private struct Watcher {
        let condition: @Sendable (Counts) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var armed: Set<UInt64> = []
        var nextID: UInt64 = 0
        var closed = false
        var watchers: [Watcher] = []

        var counts: Counts { Counts(registered: waiters.count, armed: armed.count) }

        /// Removes and returns the watchers whose condition now holds.
        mutating func satisfiedWatchers() -> [Watcher] {
            guard !watchers.isEmpty else { return [] }
            let counts = self.counts
            let (ready, waiting) = watchers.reduce(into: ([Watcher](), [Watcher]())) { parts, watcher in
                if watcher.condition(counts) { parts.0.append(watcher) } else { parts.1.append(watcher) }
            }
            watchers = waiting
            return ready
        }
    }

    /// The most books one answer carries (the client asks again with the last id).
    static let batchLimit = 100

    private let books: BookRepository
    private let logger: Logger
    private let state = Mutex(State())
    /// Where the feed's database reads run (tier `back:book-changes`).
    private let readers: ThreadPool
    private let listener = Mutex<BookChangeListener?>(nil)

    /// Creates the feed; call ``start(url:)`` before serving.
    /// - Throws: ``ConfigurationError`` from the reader pool.
    init(books: BookRepository, logger: Logger) throws {
        self.books = books
        self.logger = logger
        self.readers = try ThreadPool(configuration: .init(
            name: "book-changes", tier: .back("book-changes"), coreThreads: 0, maxThreads: 2, queueCapacity: 10_000))
    }

    /// Starts the listener on its own connection to `url` and returns once it listens.
    /// - Throws: ``ListenerError`` when it cannot listen.
    func start(url: String) throws {
        let listener = BookChangeListener(
            url: url, logger: logger,
            onNotification: { [weak self] notification in self?.notified(notification) },
            onReconnect: { [weak self] in self?.recheckAll() })
        self.listener.withLock { $0 = listener }
        try listener.start()
    }

    /// Answers every waiting poll with `[]`, stops the listener and the readers.
    func stop() {
        let (waiters, watchers) = state.withLock { state -> ([Waiter], [Watcher]) in
            state.closed = true
            defer {
                state.waiters.removeAll()
                state.armed.removeAll()
            }
            return (Array(state.waiters.values), state.satisfiedWatchers())
        }
        for waiter in waiters { waiter.result.setResult([]) }
        for watcher in watchers { watcher.continuation.resume() }
        listener.withLock { $0 }?.stop()
        readers.shutdown()
    }

    /// The number of polls waiting (for the health endpoint).
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    /// The polls registered and armed now.
    var counts: Counts { state.withLock { $0.counts } }

    /// Returns once `condition` holds for the counts (at once if it does now): a signal for
    /// tests and tools, so nobody sleeps to find out whether a poll is waiting.
    func wait(until condition: @escaping @Sendable (Counts) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let holds = state.withLock { state -> Bool in
                if condition(state.counts) { return true }
                state.watchers.append(Watcher(condition: condition, continuation: continuation))
                return false
            }
            if holds { continuation.resume() }
        }
    }

    /// Whether the listener holds a listening connection.
    var isListening: Bool { listener.withLock { $0 }?.isListening ?? false }

    /// How many times the listener replaced a lost connection.
    var reconnections: Int { listener.withLock { $0 }?.reconnections ?? 0 }

    /// A long poll for books with an id above `after`.
    ///
    /// Registers first, then checks the table on a back thread: if newer books exist it
    /// answers with them at once; otherwise the next notification does, or `[]` at `timeout`.
    /// Runs on the handler's front thread and does not block.
    func poll(after: Int, timeout: Duration) -> DeferredResult<[Book]> {
        let result = DeferredResult<[Book]>(timeout: timeout, timeoutResult: [])
        let (id, watchers) = state.withLock { state -> (UInt64?, [Watcher]) in
            guard !state.closed else { return (nil, []) }
            state.nextID &+= 1
            state.waiters[state.nextID] = Waiter(after: after, result: result)
            return (state.nextID, state.satisfiedWatchers())
        }
        for watcher in watchers { watcher.continuation.resume() }
        guard let id else {
            result.setResult([])
            return result
        }
        logger.debug("long poll registered", metadata: ["after": "\(after)"])
        result.onCompletion { [weak self] in self?.remove(id) }
        let books = self.books
        do {
            // Captures the request's WorkContext: its deadline and cancellation apply.
            try readers.execute(onDiscard: { _ in result.setResult([]) }) { [weak self] in
                do {
                    let newer = try books.books(after: after, limit: Self.batchLimit)
                    if newer.isEmpty { self?.arm(id, after: after) } else { result.setResult(newer) }
                } catch {
                    result.setErrorResult(error)
                }
            }
        } catch {
            result.setErrorResult(HTTPError(.serviceUnavailable, "too many long polls are starting; try again", headers: ["retry-after": "1"]))
        }
        return result
    }

    // MARK: notifications (on the listener thread)

    private func notified(_ notification: PostgresNotification) {
        guard let id = Int(notification.payload) else {
            logger.warning("ignoring a book_changes notification without a book id", metadata: ["payload": "\(notification.payload)"])
            return
        }
        deliver(to: state.withLock { state in state.waiters.values.filter { $0.after < id } })
    }

    private func recheckAll() {
        deliver(to: state.withLock { Array($0.waiters.values) })
    }

    /// Reads the newer books once per distinct `after`, on a reader thread, and completes
    /// the waiters that have some. Never blocks the caller.
    private func deliver(to waiters: [Waiter]) {
        guard !waiters.isEmpty else { return }
        let groups = Dictionary(grouping: waiters, by: \.after)
        let books = self.books
        let logger = self.logger
        do {
            try readers.execute {
                for (after, group) in groups {
                    do {
                        let newer = try books.books(after: after, limit: Self.batchLimit)
                        guard !newer.isEmpty else { continue }
                        for waiter in group { waiter.result.setResult(newer) }
                    } catch {
                        // The polls keep waiting: the next notification or their timeout answers.
                        logger.warning("could not read new books for waiting polls", metadata: ["error": "\(error)"])
                    }
                }
            }
        } catch {
            logger.warning("could not schedule the read of new books", metadata: ["error": "\(error)"])
        }
    }

    /// The first look found nothing newer: from now on only a notification answers.
    private func arm(_ id: UInt64, after: Int) {
        let (armed, watchers) = state.withLock { state -> (Bool, [Watcher]) in
            guard state.waiters[id] != nil else { return (false, []) }
            state.armed.insert(id)
            return (true, state.satisfiedWatchers())
        }
        if armed { logger.debug("long poll armed", metadata: ["after": "\(after)"]) }
        for watcher in watchers { watcher.continuation.resume() }
    }

    private func remove(_ id: UInt64) {
        let watchers = state.withLock { state -> [Watcher] in
            state.waiters.removeValue(forKey: id)
            state.armed.remove(id)
            return state.satisfiedWatchers()
        }
        for watcher in watchers { watcher.continuation.resume() }
    }
}
