import Dispatch
import Logging
import Synchronization

/// An in-memory log handler: tests check entries' structured metadata, not their text.
final class CapturedLogs: Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    private let entries = Mutex<[Entry]>([])
    private let appended = DispatchSemaphore(value: 0)

    var all: [Entry] { entries.withLock { $0 } }

    func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in Handler(store: self) }
    }

    fileprivate func append(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
        appended.signal()
    }

    /// Waits until an entry matching `predicate` is logged, or `timeout` passes.
    func waitFor(timeout: Duration, _ predicate: (Entry) -> Bool) -> Entry? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let match = all.first(where: predicate) { return match }
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { return nil }
            let (seconds, atto) = left.components
            let nanos = Int(seconds) * 1_000_000_000 + Int(atto / 1_000_000_000)
            _ = appended.wait(timeout: .now() + .nanoseconds(nanos))
        }
    }

    private struct Handler: LogHandler {
        let store: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            store.append(Entry(
                level: event.level, message: event.message.description,
                metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
