import BrigadeExecutors
import Logging
import Synchronization

/// The process's one connection that `LISTEN`s: PostgreSQL notifications (`NOTIFY`,
/// `pg_notify`) handed to handlers, on any number of channels, for as long as the
/// application runs.
///
/// ```swift
/// let listener = PostgresListener(configuration: .init(url: databaseURL))
/// listener.listen("book_changes") { notification in
///     changes.bookAdded(id: Int(notification.payload))      // keys, not data
/// } onMissed: {
///     changes.recheckEveryWaiter()                          // the connection was replaced
/// }
/// app.manage(listener)   // started with the server, on /ready, /pools and /metrics, closed last
/// ```
///
/// - One dedicated connection, outside any pool, on a thread of its own (`<name>-listener`).
///   Channels can be added and removed while it runs.
/// - Handlers run one at a time, in the order notifications arrived, on a second thread
///   (`<name>-handlers`) — never on the listener's, so a slow handler never delays reading
///   the connection. Keep them short: hand database reads to an executor.
/// - When the connection breaks it reconnects, with a pause that doubles from
///   ``Configuration/reconnectDelay`` up to ``Configuration/maxReconnectDelay``, listens on
///   every channel again, and then calls each subscription's `onMissed`: notifications sent
///   meanwhile are lost, so re-check against the database what you were waiting for. The same
///   happens when handlers fall so far behind that notifications had to be dropped
///   (``Configuration/handlerQueueCapacity``).
/// - An idle connection is checked every ``Configuration/idleCheck`` (`SELECT 1`), so a
///   connection that died silently is noticed.
///
/// Payloads are at most 8000 bytes (PostgreSQL's default limit, `NOTIFY` fails beyond), are
/// delivered only when the sender's transaction commits, and only to sessions listening then:
/// send keys (an id, `order:17`), and read the data from the tables.
public final class PostgresListener: ManagedComponent {
    /// How the listener connects and reconnects.
    public struct Configuration: Sendable {
        /// The database (libpq URL or conninfo).
        public var url: String
        /// The name in `/pools`, metrics and thread names. Default `notifications`.
        public var name: String
        /// How long one connection attempt may take. Default 5 s.
        public var connectTimeout: Duration
        /// The first pause after a lost connection; doubled after each failed attempt.
        /// Default 100 ms.
        public var reconnectDelay: Duration
        /// The longest pause between attempts. Default 5 s.
        public var maxReconnectDelay: Duration
        /// How long the connection may stay silent before `SELECT 1` checks it. Default 30 s.
        public var idleCheck: Duration
        /// Notifications waiting for the handlers, at most; beyond, they are dropped and the
        /// channel's `onMissed` runs once the handlers catch up. Default 10,000.
        public var handlerQueueCapacity: Int

        /// Creates a configuration; see each property.
        public init(
            url: String, name: String = "notifications", connectTimeout: Duration = .seconds(5),
            reconnectDelay: Duration = .milliseconds(100), maxReconnectDelay: Duration = .seconds(5),
            idleCheck: Duration = .seconds(30), handlerQueueCapacity: Int = 10_000
        ) {
            self.url = url
            self.name = name
            self.connectTimeout = connectTimeout
            self.reconnectDelay = reconnectDelay
            self.maxReconnectDelay = maxReconnectDelay
            self.idleCheck = idleCheck
            self.handlerQueueCapacity = handlerQueueCapacity
        }

        /// Reads `listener.*` keys, with `database.url` (or `defaultURL`) as the database:
        /// `listener.connect-timeout`, `listener.reconnect-delay`,
        /// `listener.max-reconnect-delay`, `listener.idle-check`, `listener.handler-queue`.
        /// - Throws: ``ConfigurationError`` naming an invalid key, or when no database is known.
        public init(keys: ConfigKeys, defaultURL: String? = nil) throws(ConfigurationError) {
            guard let url = keys.string("database.url").flatMap({ $0.isEmpty ? nil : $0 }) ?? defaultURL else {
                throw ConfigurationError("database.url is required for the notification listener")
            }
            let defaults = Configuration(url: url)
            self.init(
                url: url,
                connectTimeout: try keys.duration("listener.connect-timeout") ?? defaults.connectTimeout,
                reconnectDelay: try keys.duration("listener.reconnect-delay") ?? defaults.reconnectDelay,
                maxReconnectDelay: try keys.duration("listener.max-reconnect-delay") ?? defaults.maxReconnectDelay,
                idleCheck: try keys.duration("listener.idle-check") ?? defaults.idleCheck,
                handlerQueueCapacity: try keys.int("listener.handler-queue") ?? defaults.handlerQueueCapacity)
            try validate()
        }

        /// Checks the values.
        /// - Throws: ``ConfigurationError`` naming the first invalid one.
        public func validate() throws(ConfigurationError) {
            if connectTimeout <= .zero { throw ConfigurationError("listener.connect-timeout must be positive") }
            if reconnectDelay <= .zero { throw ConfigurationError("listener.reconnect-delay must be positive") }
            if maxReconnectDelay < reconnectDelay {
                throw ConfigurationError("listener.max-reconnect-delay must be at least listener.reconnect-delay")
            }
            if idleCheck <= .zero { throw ConfigurationError("listener.idle-check must be positive") }
            if handlerQueueCapacity < 1 { throw ConfigurationError("listener.handler-queue must be at least 1") }
        }
    }

    /// Where the listener stands.
    enum Phase: Sendable, Equatable {
        /// Made, not started.
        case idle
        /// Connecting (`attempt` 1 is the first connection), after `lastError` if any.
        case connecting(attempt: Int, lastError: String?)
        /// Connected and listening on every channel subscribed.
        case listening
        /// The first connection failed: ``start()`` threw.
        case failed(String)
        /// Closed; it never connects again.
        case stopped
    }

    struct Subscription {
        let channel: String
        let onNotification: @Sendable (PostgresNotification) -> Void
        let onMissed: (@Sendable () -> Void)?
    }

    struct State {
        var phase = Phase.idle
        var subscriptions: [UInt64: Subscription] = [:]
        var nextID: UInt64 = 0
        /// Channels `LISTEN`ed on the current connection (the listener thread's view).
        var active: Set<String> = []
        /// Channels whose notifications were dropped (handlers too slow): their `onMissed` is due.
        var overflowed: Set<String> = []
        var notifications: UInt64 = 0
        var dropped: UInt64 = 0
        var reconnections: UInt64 = 0
        var lastReconnectDelay: Duration = .zero
        /// When the listener last received a notification, for "last notification" in reports.
        var lastNotificationAt: ContinuousClock.Instant?

        var wanted: Set<String> { Set(subscriptions.values.map(\.channel)) }
    }

    /// The configuration it was made with.
    public let configuration: Configuration
    let logger: Logger
    let state = Mutex(State())
    /// Wakes the listener thread: channels changed, or stop.
    let wakeup: WakeupPipe
    /// Signals ``start()`` and channel waiters when the phase or the active channels change.
    let changes = PThreadLock()
    let changed: PThreadLock.Condition
    /// Runs the listener loop (one thread, for the process's lifetime).
    let loopThread: ThreadPool
    /// Runs the handlers, one at a time, in arrival order.
    let handlerThread: ThreadPool

    /// Creates a listener; nothing connects before ``start()``.
    /// - Parameters:
    ///   - configuration: The database and the reconnection settings.
    ///   - logger: Where connection trouble is reported. Default label `brigade.postgres.listener`.
    /// - Throws: ``ConfigurationError`` for an invalid configuration.
    public init(configuration: Configuration, logger: Logger = Logger(label: "brigade.postgres.listener")) throws {
        try configuration.validate()
        guard let wakeup = WakeupPipe() else { throw ListenerError("cannot create the listener's wake-up pipe (out of file descriptors?)") }
        self.configuration = configuration
        self.logger = logger
        self.wakeup = wakeup
        self.changed = PThreadLock.Condition(changes)
        self.loopThread = try ThreadPool(configuration: .init(
            name: "\(configuration.name)-listener", tier: .back("\(configuration.name)-listener"),
            coreThreads: 0, maxThreads: 1, queueCapacity: 1, batchScheduling: false))
        self.handlerThread = try ThreadPool(configuration: .init(
            name: "\(configuration.name)-handlers", tier: .back("\(configuration.name)-handlers"),
            coreThreads: 0, maxThreads: 1, queueCapacity: configuration.handlerQueueCapacity, batchScheduling: false))
    }

    /// ``Configuration/name``.
    public var name: String { configuration.name }

    // MARK: channels

    /// Calls `onNotification` for every notification on `channel`, from now until
    /// ``unlisten(_:)`` or ``close()``.
    ///
    /// Listening begins within moments on a running listener (at start for one not yet
    /// started); ``waitUntilListening(to:timeout:)`` waits for it. Several subscriptions may
    /// share a channel.
    /// - Parameters:
    ///   - channel: The channel's name, case kept (`NOTIFY "Orders"` and `NOTIFY orders` differ
    ///     as they do for PostgreSQL's quoted identifiers); 1 to 63 bytes.
    ///   - onNotification: Runs on the listener's handler thread; must not block for long.
    ///   - onMissed: Runs on the handler thread when notifications of `channel` may have been
    ///     lost — after a lost connection was replaced, or when the handlers fell behind —
    ///     so that what waits for them is re-checked against the database.
    /// - Returns: The subscription, for ``unlisten(_:)``.
    /// - Throws: ``ListenerError`` for an invalid channel name or a closed listener.
    @discardableResult
    public func listen(
        _ channel: String,
        onNotification: @escaping @Sendable (PostgresNotification) -> Void,
        onMissed: (@Sendable () -> Void)? = nil
    ) throws -> ListenerSubscription {
        guard !channel.isEmpty, channel.utf8.count <= 63, !channel.utf8.contains(0) else {
            throw ListenerError("invalid channel name \"\(channel)\": PostgreSQL channels are 1 to 63 bytes, without NUL")
        }
        let id = try state.withLock { state throws(ListenerError) -> UInt64 in
            if case .stopped = state.phase { throw ListenerError("the listener \(configuration.name) is closed") }
            state.nextID &+= 1
            state.subscriptions[state.nextID] = Subscription(channel: channel, onNotification: onNotification, onMissed: onMissed)
            return state.nextID
        }
        wakeup.wake()
        return ListenerSubscription(id: id, channel: channel)
    }

    /// Ends a subscription; the channel is `UNLISTEN`ed when no subscription is left on it.
    /// Notifications already handed to the handler thread may still arrive.
    public func unlisten(_ subscription: ListenerSubscription) {
        let removed = state.withLock { $0.subscriptions.removeValue(forKey: subscription.id) != nil }
        if removed { wakeup.wake() }
    }

    /// Blocks until the listener's connection listens on `channel`, or `timeout` passes.
    /// Use it after ``listen(_:onNotification:onMissed:)`` on a running listener when a
    /// notification sent right after must not be missed. Never call it on an event loop.
    /// - Returns: Whether it listens.
    @discardableResult
    public func waitUntilListening(to channel: String, timeout: Duration) -> Bool {
        waitForState(timeout: timeout) { state in
            if case .listening = state.phase { return state.active.contains(channel) }
            return false
        }
    }

    /// The channels listened to now.
    public var channels: Set<String> { state.withLock { $0.active } }

    /// Whether the listener holds a connection listening on every subscribed channel.
    public var isListening: Bool {
        state.withLock { if case .listening = $0.phase { $0.active == $0.wanted } else { false } }
    }

    /// How many times a lost connection was replaced.
    public var reconnections: Int { Int(state.withLock { $0.reconnections }) }

    /// Notifications received since it started.
    public var notificationsReceived: Int { Int(state.withLock { $0.notifications }) }

    // MARK: lifecycle

    /// Connects, listens on every channel subscribed so far, and returns once it does — so
    /// that nothing committed after this returns goes unnoticed.
    /// - Throws: ``ListenerError`` when the first connection or a `LISTEN` failed (with
    ///   libpq's reason) or took longer than ``Configuration/connectTimeout``.
    public func start() throws {
        let mayStart = state.withLock { state -> Bool in
            guard case .idle = state.phase else { return false }
            state.phase = .connecting(attempt: 1, lastError: nil)
            return true
        }
        guard mayStart else { throw ListenerError("the listener \(configuration.name) was already started") }
        do {
            try loopThread.execute { [self] in runLoop() }
        } catch {
            state.withLock { $0.phase = .failed("\(error)") }
            throw ListenerError("cannot start the listener thread: \(error)")
        }
        let settled = waitForState(timeout: configuration.connectTimeout + .seconds(5)) { state in
            switch state.phase {
            case .listening, .failed, .stopped: true
            default: false
            }
        }
        switch state.withLock({ $0.phase }) {
        case .listening:
            return
        case .failed(let reason):
            throw ListenerError("the notification listener \(configuration.name) cannot listen (database.url): \(reason)", unavailable: true)
        default:
            requestStop()
            throw ListenerError(
                settled ? "the listener was closed while starting" : "the notification listener did not connect within \(configuration.connectTimeout) (database.url)",
                unavailable: !settled)
        }
    }

    /// Stops listening: closes the connection, lets the handlers finish what was handed to
    /// them, and returns once both threads ended. Safe to call more than once.
    public func close() async {
        requestStop()
        _ = await loopThread.shutdownGracefully(timeout: configuration.connectTimeout + .seconds(5))
        _ = await handlerThread.shutdownGracefully(timeout: .seconds(10))
    }

    /// ``close()`` for code that is not `async`: blocks until the threads ended (bounded).
    public func closeAndWait() {
        requestStop()
        loopThread.shutdown()
        _ = loopThread.awaitTermination(timeout: configuration.connectTimeout + .seconds(5))
        handlerThread.shutdown()
        _ = handlerThread.awaitTermination(timeout: .seconds(10))
    }

    /// Up while listening on every channel; counters `notifications`, `reconnections`,
    /// `dropped`; gauges `channels`, `last_reconnect_delay_seconds`,
    /// `seconds_since_last_notification` (absent before the first).
    public func status() -> ComponentStatus {
        let (phase, active, wanted, counters, delay, last) = state.withLock { state in
            (state.phase, state.active, state.wanted,
             ["notifications": state.notifications, "reconnections": state.reconnections, "dropped": state.dropped],
             state.lastReconnectDelay, state.lastNotificationAt)
        }
        var gauges: [String: Double] = [
            "channels": Double(active.count), "last_reconnect_delay_seconds": delay.seconds,
        ]
        if let last { gauges["seconds_since_last_notification"] = (ContinuousClock.now - last).seconds }
        let (up, detail): (Bool, String?) =
            switch phase {
            case .idle: (false, "not started")
            case .connecting(let attempt, let error):
                (false, "connecting, attempt \(attempt)" + (error.map { " after: \($0)" } ?? ""))
            case .listening where active != wanted:
                (true, "listening; updating channels (\(wanted.subtracting(active).count) to add, \(active.subtracting(wanted).count) to remove)")
            case .listening: (true, nil)
            case .failed(let reason): (false, "failed: \(reason)")
            case .stopped: (false, "closed")
            }
        return ComponentStatus(name: name, kind: "listener", isUp: up, detail: detail, counters: counters, gauges: gauges)
    }

    // MARK: internals shared with the loop

    /// Sets the phase to stopped (for good) and wakes the listener thread.
    func requestStop() {
        state.withLock { $0.phase = .stopped }
        wakeup.wake()
        changes.withLock { changed.broadcast() }
    }

    /// Whether ``close()`` was asked for.
    var isStopping: Bool { state.withLock { $0.phase == .stopped } }

    /// Blocks until `condition` holds for the state (checked again at every change) or `timeout` passes.
    func waitForState(timeout: Duration, _ condition: (State) -> Bool) -> Bool {
        let deadline = monotonicNanoseconds() &+ UInt64(timeout.clampedNanoseconds)
        return changes.withLock {
            while true {
                if state.withLock({ condition($0) }) { return true }
                if monotonicNanoseconds() >= deadline { return false }
                _ = changed.wait(untilUptimeNanoseconds: deadline)
            }
        }
    }

    /// Tells the waiters of ``waitForState(timeout:_:)`` to look again.
    func announceChange() {
        changes.withLock { changed.broadcast() }
    }
}

/// One ``PostgresListener/listen(_:onNotification:onMissed:)``: pass it to
/// ``PostgresListener/unlisten(_:)`` to stop.
public struct ListenerSubscription: Sendable, Hashable {
    let id: UInt64
    /// The channel it listens on.
    public let channel: String
}

/// The notification listener cannot do what was asked.
public struct ListenerError: Error, CustomStringConvertible, Sendable, StartupFailure {
    /// What went wrong.
    public let message: String
    /// Whether the database could not be reached (rather than a misuse of the API).
    let unavailable: Bool

    init(_ message: String, unavailable: Bool = false) {
        self.message = message
        self.unavailable = unavailable
    }

    /// The message.
    public var description: String { message }

    /// At start-up: exit status 69 (`EX_UNAVAILABLE`) with what to check when the database
    /// could not be reached, else 1.
    public var diagnosis: StartupDiagnosis {
        unavailable
            ? StartupDiagnosis(
                problem: message,
                action: "check database.url (DATABASE_URL) and that the server is running and accepts connections",
                exitStatus: .unavailable)
            : StartupDiagnosis(problem: message, action: "", exitStatus: .failure)
    }
}
