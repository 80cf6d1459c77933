import BrigadeExecutors
import Logging
import Synchronization

/// The listener thread: connect, `LISTEN`, hand notifications over, reconnect — until closed.
extension PostgresListener {
    /// Runs on the listener thread for the listener's lifetime.
    func runLoop() {
        var pause = configuration.reconnectDelay
        var attempt = 1
        var hasListened = false
        while !isStopping {
            do {
                let connection = try PostgresConnection(
                    url: configuration.url, connectTimeout: configuration.connectTimeout,
                    statementCacheCapacity: 0, logger: logger)
                defer { connection.close() }
                try serve(connection, isReconnect: hasListened) { hasListened = true }
                return  // closed
            } catch {
                if isStopping { return }
                let reason = (error as? PostgresError)?.message ?? "\(error)"
                guard hasListened else {
                    // The first connection: start() reports it, and the server does not start.
                    setPhase(.failed(reason))
                    return
                }
                attempt += 1
                setPhase(.connecting(attempt: attempt, lastError: reason))
                state.withLock {
                    $0.active = []
                    $0.lastReconnectDelay = pause
                }
                logger.warning("notification listener lost its connection; reconnecting", metadata: [
                    "listener": "\(configuration.name)", "error": "\(reason)", "attempt": "\(attempt)", "pause": "\(pause)",
                ])
                // The pause ends early when the listener is closed.
                _ = SocketWait.wait(wakeup.readEnd, for: .read, deadline: .now + pause)
                pause = min(pause * 2, configuration.maxReconnectDelay)
            }
        }
    }

    /// One connection's life: listen on every channel, then deliver notifications and follow
    /// channel changes until the listener is closed (returns) or the connection fails (throws).
    /// - Parameter listening: Called once every channel is listened to.
    private func serve(_ connection: PostgresConnection, isReconnect: Bool, listening: () -> Void) throws {
        var active: Set<String> = []
        wakeup.drain()
        try follow(connection, &active)
        let becameListening = state.withLock { state -> Bool in
            guard state.phase != .stopped else { return false }
            state.phase = .listening
            if isReconnect { state.reconnections += 1 }
            return true
        }
        announceChange()
        guard becameListening else { return }
        listening()
        if isReconnect {
            logger.notice("notification listener listens again after a lost connection", metadata: [
                "listener": "\(configuration.name)", "channels": "\(active.sorted().joined(separator: ","))",
            ])
            handOverMissed(for: active)
        }
        while true {
            wakeup.drain()
            if isStopping { return }
            try follow(connection, &active)
            handOverOverflowed()
            switch try connection.waitForNotification(until: .now + configuration.idleCheck, interrupt: wakeup) {
            case .notification(let notification):
                handOver(notification)
            case .timedOut:
                // Silence: make sure the connection is still there.
                _ = try connection.query("SELECT 1", deadline: .now + configuration.connectTimeout)
            case .interrupted:
                continue
            }
        }
    }

    /// `LISTEN`s on the channels subscribed and not yet listened to, `UNLISTEN`s those no
    /// subscription wants any more.
    private func follow(_ connection: PostgresConnection, _ active: inout Set<String>) throws {
        let wanted = state.withLock { $0.wanted }
        guard wanted != active else { return }
        let deadline = ContinuousClock.now + configuration.connectTimeout
        for channel in wanted.subtracting(active).sorted() {
            try connection.executeScript(PostgresQuery(unsafeSQL: "LISTEN \(PostgresQuery.quoteIdentifier(channel))"), deadline: deadline)
            active.insert(channel)
        }
        for channel in active.subtracting(wanted).sorted() {
            try connection.executeScript(PostgresQuery(unsafeSQL: "UNLISTEN \(PostgresQuery.quoteIdentifier(channel))"), deadline: deadline)
            active.remove(channel)
        }
        let now = active
        state.withLock { $0.active = now }
        announceChange()
    }

    /// Queues the notification for its channel's handlers; never blocks. When the handlers'
    /// queue is full it is dropped, and the channel's `onMissed` is due.
    private func handOver(_ notification: PostgresNotification) {
        let handlers = state.withLock { state -> [@Sendable (PostgresNotification) -> Void] in
            state.notifications += 1
            state.lastNotificationAt = .now
            return state.subscriptions.sorted { $0.key < $1.key }
                .compactMap { $0.value.channel == notification.channel ? $0.value.onNotification : nil }
        }
        guard !handlers.isEmpty else { return }
        do {
            try handlerThread.execute {
                for handler in handlers { handler(notification) }
            }
        } catch {
            let first = state.withLock { state -> Bool in
                state.dropped += 1
                return state.overflowed.insert(notification.channel).inserted
            }
            announceChange()
            if first {
                logger.warning("notification handlers fall behind: notifications dropped; onMissed will run", metadata: [
                    "listener": "\(configuration.name)", "channel": "\(notification.channel)",
                    "listener.handler-queue": "\(configuration.handlerQueueCapacity)",
                ])
            }
        }
    }

    /// Runs `onMissed` for the channels whose notifications were dropped.
    private func handOverOverflowed() {
        let channels = state.withLock { state -> Set<String> in
            defer { state.overflowed.removeAll() }
            return state.overflowed
        }
        if !channels.isEmpty { handOverMissed(for: channels) }
    }

    /// Queues the `onMissed` callbacks of `channels`' subscriptions, after every notification
    /// already queued (past the queue's limit: they must not be lost).
    private func handOverMissed(for channels: Set<String>) {
        let callbacks = state.withLock { state in
            state.subscriptions.sorted { $0.key < $1.key }
                .compactMap { channels.contains($0.value.channel) ? $0.value.onMissed : nil }
        }
        guard !callbacks.isEmpty else { return }
        try? handlerThread.execute(bypassingQueueLimit: true) {
            for callback in callbacks { callback() }
        }
    }

    /// Sets the phase unless the listener was closed meanwhile, and tells the waiters.
    private func setPhase(_ phase: Phase) {
        state.withLock { state in
            if state.phase != .stopped { state.phase = phase }
        }
        announceChange()
    }
}
