/// How a streamed response ended, as `onCompletion`'s caller, the access log and the metrics
/// see it.
public enum StreamEnding: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// The producer completed it; the client has the whole body.
    case completed
    /// The producer failed (`completeWithError`, a throwing body or sequence): the connection
    /// was closed, so the client sees a truncated body.
    case failed
    /// Its timeout passed (and no `onTimeout` callback completed it otherwise).
    case timedOut = "timed-out"
    /// The client went away.
    case clientGone = "client-gone"
    /// The client stopped reading: the heartbeat found nothing written for two periods while
    /// data waited, and the connection was closed.
    case stalled
    /// The server shut down.
    case shutdown

    public var description: String { rawValue }
}

/// A streamed response, as observers see it: how it ended, what went out.
public struct StreamRecord: Sendable, Hashable {
    /// How it ended.
    public var ending: StreamEnding
    /// Parts sent (events, lines, writes).
    public var parts: Int
    /// Body bytes handed to the connection.
    public var bytes: Int
    /// From the head's commit to the end.
    public var duration: Duration
}

/// A write to a stream that cannot happen: the stream ended or its client left.
public struct StreamClosedError: Error, Sendable, CustomStringConvertible {
    /// How the stream ended, when it did; `nil` while completing (after `complete()`).
    public let ending: StreamEnding?

    public var description: String {
        switch ending {
        case .clientGone?: "the stream's client went away"
        case .some(let ending): "the stream has ended (\(ending))"
        case nil: "the stream was completed"
        }
    }
}

/// A write to a stream whose buffer stayed full: the client reads too slowly.
public struct StreamBufferFullError: Error, Sendable, CustomStringConvertible {
    /// The buffer's size in bytes.
    public let capacity: Int
    /// How long the write waited, when it waited.
    public let waited: Duration?

    public var description: String {
        if let waited { return "the stream's buffer (\(capacity) bytes) stayed full for \(waited): the client reads too slowly" }
        return "the stream's buffer (\(capacity) bytes) is full: the client reads too slowly"
    }
}
