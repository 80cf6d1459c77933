import Foundation
import Logging
import Synchronization
import UnixSignals

/// SIGINT and SIGTERM for the whole life of a process run by ``Application/main(arguments:environment:_:)``:
/// the first asks for a graceful stop (during start-up too), a second one while stopping
/// exits at once.
final class SignalWatch: Sendable {
    private struct State {
        var received: UnixSignal?
        var waiters: [CheckedContinuation<UnixSignal, Never>] = []
        var logger: Logger
    }

    private let state: Mutex<State>

    private init(logger: Logger) {
        state = Mutex(State(logger: logger))
    }

    /// Starts watching; returns once the handlers are installed (no early signal is missed).
    static func start(logger: Logger) async -> SignalWatch {
        let watch = SignalWatch(logger: logger)
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        Task.detached {
            for await signal in signals { watch.receive(signal) }
        }
        return watch
    }

    /// The logger for the "exiting at once" line (the application's, once there is one).
    var logger: Logger {
        get { state.withLock { $0.logger } }
        set { state.withLock { $0.logger = newValue } }
    }

    /// The first signal received, if any.
    var received: UnixSignal? { state.withLock { $0.received } }

    /// Waits for the first signal (returns at once if it came already).
    func next() async -> UnixSignal {
        await withCheckedContinuation { continuation in
            let already = state.withLock { state -> UnixSignal? in
                if let received = state.received { return received }
                state.waiters.append(continuation)
                return nil
            }
            if let already { continuation.resume(returning: already) }
        }
    }

    private func receive(_ signal: UnixSignal) {
        let (first, waiters, logger) = state.withLock { state in
            let first = state.received == nil
            if first { state.received = signal }
            defer { state.waiters.removeAll() }
            return (first, state.waiters, state.logger)
        }
        if first {
            for waiter in waiters { waiter.resume(returning: signal) }
            return
        }
        logger.warning("second signal: exiting at once", metadata: ["signal": "\(signal)"])
        exit(128 + signal.rawValue)
    }
}
