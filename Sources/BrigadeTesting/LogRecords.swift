import Logging
import Synchronization

/// Log records kept in memory, with their structured metadata, for tests to inspect.
public final class LogRecords: Sendable {
    /// One log line.
    public struct Record: Sendable {
        /// Its level.
        public var level: Logger.Level
        /// Its message.
        public var message: String
        /// The logger's metadata merged with the line's.
        public var metadata: Logger.Metadata
    }

    private let records = Mutex<[Record]>([])

    /// An empty record.
    public init() {}

    /// Every record so far.
    public var all: [Record] { records.withLock { $0 } }

    /// Adds a line.
    public func append(_ record: Record) { records.withLock { $0.append(record) } }

    /// A logger whose every line lands here.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in InMemoryLogHandler(records: self) }
        logger.logLevel = level
        return logger
    }
}

/// A `LogHandler` that records each line with the logger's metadata merged with the line's.
public struct InMemoryLogHandler: LogHandler {
    let records: LogRecords
    /// The logger's metadata.
    public var metadata: Logger.Metadata = [:]
    /// The logger's metadata provider.
    public var metadataProvider: Logger.MetadataProvider?
    /// The logger's level.
    public var logLevel: Logger.Level = .trace

    /// A handler recording into `records`.
    public init(records: LogRecords) { self.records = records }

    /// The logger's metadata value for `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Records the line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        records.append(.init(level: event.level, message: event.message.description, metadata: merged))
    }
}
