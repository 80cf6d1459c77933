import BrigadeHTTP
import NIOCore

/// One Server-Sent Event (`text/event-stream`): `data`, and optionally `event`, `id`, `retry`
/// and a comment.
///
/// ```swift
/// emitter.send(ServerSentEvent(data: "42.10", event: "price", id: "17"))
/// emitter.send(try ServerSentEvent(json: quote, event: "quote"))
/// ```
/// Multi-line data is split into one `data:` line per line (a browser's `EventSource` joins
/// them back with `\n`); line breaks in `event` and `id`, which the format cannot carry, are
/// removed.
public struct ServerSentEvent: Sendable, Hashable {
    /// The payload; `nil` for a comment-only event (a heartbeat).
    public var data: String?
    /// The event type (`EventSource.addEventListener(type, …)`); `nil` is `message`.
    public var event: String?
    /// The id a reconnecting browser sends back as `Last-Event-ID`.
    public var id: String?
    /// How long a browser waits before reconnecting.
    public var retry: Duration?
    /// A comment line, ignored by clients (proxies see bytes moving).
    public var comment: String?

    /// Creates an event.
    public init(data: String? = nil, event: String? = nil, id: String? = nil, retry: Duration? = nil, comment: String? = nil) {
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment
    }

    /// An event whose data is `value` as JSON.
    /// - Throws: When `value` cannot be encoded.
    public init<T: Encodable>(json value: T, event: String? = nil, id: String? = nil) throws {
        let buffer = try JSONBody.encode(value)
        self.init(data: String(buffer: buffer), event: event, id: id)
    }

    /// A comment-only event.
    public static func comment(_ text: String) -> ServerSentEvent {
        ServerSentEvent(comment: text)
    }

    /// The event as it goes on the wire, ending with the blank line that dispatches it.
    /// Encode once and send the frame to many subscribers: they share its bytes.
    public func encoded() -> Frame {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(32 + (data?.utf8.count ?? 0))
        if let comment { Self.lines(of: comment) { buffer.writeStaticString(":"); buffer.writeSubstring($0); buffer.writeStaticString("\n") } }
        if let id { buffer.writeStaticString("id: "); buffer.writeString(Self.singleLine(id)); buffer.writeStaticString("\n") }
        if let event { buffer.writeStaticString("event: "); buffer.writeString(Self.singleLine(event)); buffer.writeStaticString("\n") }
        if let retry {
            buffer.writeStaticString("retry: ")
            buffer.writeString(String(retry.components.seconds * 1000 + retry.components.attoseconds / 1_000_000_000_000_000))
            buffer.writeStaticString("\n")
        }
        if let data { Self.lines(of: data) { buffer.writeStaticString("data: "); buffer.writeSubstring($0); buffer.writeStaticString("\n") } }
        buffer.writeStaticString("\n")
        return Frame(bytes: buffer)
    }

    /// An encoded event: its bytes, shared by everyone it is sent to (and framed once as an
    /// HTTP/1.1 chunk for all chunked connections).
    public struct Frame: Sendable, Hashable {
        /// The wire bytes.
        public let bytes: ByteBuffer
        /// The same bytes as one HTTP/1.1 chunk.
        let chunk: ByteBuffer

        init(bytes: ByteBuffer) {
            self.bytes = bytes
            self.chunk = HTTPBodyStream.chunk(bytes)
        }
    }

    /// Calls `body` with each line of `text`, splitting on `\r\n`, `\n` and `\r`.
    private static func lines(of text: String, _ body: (Substring) -> Void) {
        var rest = Substring(text)
        while let index = rest.firstIndex(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            body(rest[..<index])
            rest = rest[rest.index(after: index)...]
        }
        body(rest)
    }

    private static func singleLine(_ text: String) -> String {
        String(text.filter { $0 != "\n" && $0 != "\r" && $0 != "\r\n" && $0 != "\0" })
    }
}

extension Request {
    /// The `Last-Event-ID` a reconnecting `EventSource` sends: the id of the last event it
    /// received, to resume after.
    public var lastEventID: String? { header("last-event-id") }
}
