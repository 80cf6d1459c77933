import Logging
import Synchronization

/// Log records kept in memory, with their structured metadata, for tests to inspect.
final class LogRecords: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let records = Mutex<[Record]>([])

    /// Every record so far.
    var all: [Record] { records.withLock { $0 } }

    func append(_ record: Record) { records.withLock { $0.append(record) } }

    /// A logger whose every line lands here.
    func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in InMemoryLogHandler(records: self) }
        logger.logLevel = level
        return logger
    }
}

/// A `LogHandler` that records each line with the logger's metadata merged with the line's.
struct InMemoryLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        records.append(.init(level: event.level, message: event.message.description, metadata: merged))
    }
}
