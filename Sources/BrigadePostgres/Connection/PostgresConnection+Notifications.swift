import BrigadeExecutors

extension PostgresConnection {
    /// Starts listening on `channel` (`LISTEN`); notifications are then queued on this
    /// connection until read with ``waitForNotification(timeout:)``.
    /// - Parameter channel: The channel's name (quoted as an identifier, case kept).
    /// - Throws: ``PostgresError``.
    public func listen(_ channel: String) throws {
        try executeScript(PostgresQuery(unsafeSQL: "LISTEN \(PostgresQuery.quoteIdentifier(channel))"))
    }

    /// Stops listening on `channel` (`UNLISTEN`).
    /// - Parameter channel: The channel's name.
    /// - Throws: ``PostgresError``.
    public func unlisten(_ channel: String) throws {
        try executeScript(PostgresQuery(unsafeSQL: "UNLISTEN \(PostgresQuery.quoteIdentifier(channel))"))
    }

    /// Sends a notification (`pg_notify`); listeners receive it when the current transaction
    /// commits (at once outside a transaction).
    /// - Parameters:
    ///   - channel: The channel's name.
    ///   - payload: The message, at most ~8000 bytes.
    /// - Throws: ``PostgresError``.
    public func notify(_ channel: String, payload: String = "") throws {
        try query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// Blocks until a notification arrives on a channel this connection listens to.
    ///
    /// Notifications that arrived while other statements ran are returned first. The wait
    /// also ends when the current ``WorkContext``'s deadline passes (returns `nil`) or its
    /// work is cancelled (throws).
    /// - Parameter timeout: How long to wait at most; `nil` waits without limit.
    /// - Returns: The notification, or `nil` when the time ran out.
    /// - Throws: ``PostgresError`` `.connection` when the connection broke, `.cancelled`.
    public func waitForNotification(timeout: Duration?) throws -> PostgresNotification? {
        let scope = try OperationScope.current(deadline: leaseDeadline)
        let pq = try handle()
        if let queued = pq.nextNotification() { return queued }
        let timeoutDeadline = timeout.map { ContinuousClock.now + $0 }
        let deadline: ContinuousClock.Instant? =
            switch (timeoutDeadline, scope.deadline) {
            case let (a?, b?): min(a, b)
            case let (a?, nil): a
            case let (nil, b?): b
            case (nil, nil): nil
            }
        var wakeup: WakeupPipe?
        var registration: CancellationSignal.Registration?
        if let signal = scope.cancellation, let pipe = WakeupPipe() {
            wakeup = pipe
            registration = signal.onCancel { _ in pipe.wake() }
        }
        defer { scope.cancellation?.remove(registration) }
        while true {
            guard pq.consumeInput() else { throw PostgresError.connection(pq.errorMessage) }
            if let notification = pq.nextNotification() { return notification }
            switch SocketWait.wait(pq.socket, for: .read, deadline: deadline, extra: wakeup?.readEnd ?? -1) {
            case .timedOut:
                return nil
            case .extra:
                try scope.check()
            case .ready:
                continue
            }
        }
    }

    /// Calls `handler` for each notification until it returns `false` or `timeout` passes
    /// without one.
    /// - Parameters:
    ///   - timeout: The longest wait for each notification; `nil` waits without limit.
    ///   - handler: Runs on the calling thread; return `true` to keep waiting.
    /// - Throws: What ``waitForNotification(timeout:)`` or `handler` throw.
    public func waitForNotifications(
        timeout: Duration?,
        _ handler: (PostgresNotification) throws -> Bool
    ) throws {
        while let notification = try waitForNotification(timeout: timeout) {
            guard try handler(notification) else { return }
        }
    }

    /// How ``waitForNotification(until:interrupt:)`` ended.
    enum NotificationWait {
        case notification(PostgresNotification)
        case timedOut
        case interrupted
    }

    /// Waits for a notification until `deadline`, or until `interrupt` is woken (a listener
    /// asked to change its channels or to stop). Ignores the ``WorkContext``.
    /// - Throws: ``PostgresError`` `.connection` when the connection broke.
    func waitForNotification(until deadline: ContinuousClock.Instant, interrupt: WakeupPipe) throws -> NotificationWait {
        let pq = try handle()
        while true {
            guard pq.consumeInput() else { throw PostgresError.connection(pq.errorMessage) }
            if let notification = pq.nextNotification() { return .notification(notification) }
            switch SocketWait.wait(pq.socket, for: .read, deadline: deadline, extra: interrupt.readEnd) {
            case .timedOut: return .timedOut
            case .extra: return .interrupted
            case .ready: continue
            }
        }
    }
}
