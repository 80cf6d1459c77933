import Brigade
import BrigadePostgres
import Dispatch
import Foundation
import Synchronization

/// The process's one dedicated PostgreSQL connection that `LISTEN`s on a channel, on a
/// thread of its own (not a pool connection, not a front or back pool thread).
///
/// Each notification is handed to `onNotification` on the listener thread, which must not
/// block. When the connection breaks, the listener reconnects with a growing pause and calls
/// `onReconnect` once it listens again: notifications sent in between are lost, so the feed
/// checks its waiters against the table then.
final class BookChangeListener: Sendable {
    /// The channel the `books` insert trigger notifies.
    static let channel = "book_changes"

    private enum Phase: Sendable {
        case idle
        case starting
        case listening
        case failed(String)
        case stopped
    }

    private let url: String
    private let logger: Logger
    private let onNotification: @Sendable (PostgresNotification) -> Void
    private let onReconnect: @Sendable () -> Void
    private let phase = Mutex(Phase.idle)
    private let reconnectCount = Atomic<Int>(0)
    /// Ends the wait for notifications (through the thread's `WorkContext`) and the pause
    /// between reconnections.
    private let stopSignal = CancellationSignal()
    private let wake = DispatchSemaphore(value: 0)
    private let firstOutcome = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    /// Creates a listener; nothing connects before ``start(timeout:)``.
    /// - Parameters:
    ///   - url: The database (libpq URL or conninfo).
    ///   - logger: Where connection trouble is reported.
    ///   - onNotification: Called on the listener thread for each notification; must not block.
    ///   - onReconnect: Called on the listener thread after a lost connection was replaced.
    init(
        url: String, logger: Logger,
        onNotification: @escaping @Sendable (PostgresNotification) -> Void,
        onReconnect: @escaping @Sendable () -> Void
    ) {
        self.url = url
        self.logger = logger
        self.onNotification = onNotification
        self.onReconnect = onReconnect
    }

    /// Starts the listener thread and returns once it listens, so that no insert committed
    /// after this returns goes unnoticed.
    /// - Parameter timeout: How long the first connection may take.
    /// - Throws: ``ListenerError`` when the first connection or `LISTEN` failed.
    func start(timeout: Duration = .seconds(15)) throws {
        let mayStart = phase.withLock { phase -> Bool in
            guard case .idle = phase else { return false }
            phase = .starting
            return true
        }
        guard mayStart else { throw ListenerError(message: "the listener was already started") }
        let thread = Thread { [self] in
            ThreadTier.markCurrentThread(.unmanaged, name: "book-changes-listener")
            run()
            exited.signal()
        }
        thread.name = "book-changes-listener"
        thread.start()
        let (seconds, attoseconds) = timeout.components
        let waited = firstOutcome.wait(timeout: .now() + .milliseconds(Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)))
        let outcome = phase.withLock { $0 }
        switch outcome {
        case .listening:
            return
        case .failed(let message):
            throw ListenerError(message: "cannot listen on \(Self.channel): \(message)")
        default:
            stop()
            throw ListenerError(message: waited == .timedOut ? "the listener did not connect within \(timeout)" : "the listener stopped")
        }
    }

    /// Stops listening, closes the connection and waits (briefly) for the thread to end.
    /// Safe to call more than once.
    func stop() {
        let wasRunning = phase.withLock { phase -> Bool in
            defer { phase = .stopped }
            switch phase {
            case .starting, .listening: return true
            default: return false
            }
        }
        stopSignal.cancel(reason: "the change listener is stopping")
        wake.signal()
        if wasRunning { _ = exited.wait(timeout: .now() + .seconds(5)) }
    }

    /// Whether the listener currently holds a listening connection.
    var isListening: Bool {
        phase.withLock { if case .listening = $0 { true } else { false } }
    }

    /// How many times a lost connection was replaced.
    var reconnections: Int { reconnectCount.load(ordering: .relaxed) }

    // MARK: the listener thread

    private func run() {
        let context = WorkContext(requestID: "book-changes-listener", logger: logger, cancellation: stopSignal)
        WorkContext.$current.withValue(context) {
            var pause = Duration.milliseconds(100)
            var everListened = false
            while !stopSignal.isCancelled {
                do {
                    let connection = try PostgresConnection(url: url, connectTimeout: .seconds(5), logger: logger)
                    defer { connection.close() }
                    try connection.listen(Self.channel)
                    let stillWanted = phase.withLock { phase -> Bool in
                        if case .stopped = phase { return false }
                        phase = .listening
                        return true
                    }
                    guard stillWanted else { return }
                    if everListened {
                        reconnectCount.add(1, ordering: .relaxed)
                        logger.notice("listening again after a lost connection", metadata: ["channel": "\(Self.channel)"])
                        onReconnect()
                    } else {
                        everListened = true
                        firstOutcome.signal()
                    }
                    pause = .milliseconds(100)
                    while true {
                        if let notification = try connection.waitForNotification(timeout: .seconds(30)) {
                            onNotification(notification)
                        } else {
                            try connection.query("SELECT 1")  // notices a connection that died silently
                        }
                    }
                } catch {
                    if stopSignal.isCancelled { return }
                    guard everListened else {
                        phase.withLock { $0 = .failed("\(error)") }
                        firstOutcome.signal()
                        return
                    }
                    phase.withLock { phase in if case .listening = phase { phase = .starting } }
                    logger.warning("change listener lost its connection; reconnecting", metadata: [
                        "error": "\(error)", "pause": "\(pause)",
                    ])
                    let (seconds, attoseconds) = pause.components
                    _ = wake.wait(timeout: .now() + .milliseconds(Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)))
                    pause = min(pause * 2, .seconds(5))
                }
            }
        }
    }
}

/// The change listener could not start.
struct ListenerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
