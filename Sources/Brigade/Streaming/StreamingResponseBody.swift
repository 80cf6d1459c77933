import BrigadeExecutors
import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// A response body written on a back thread through a blocking writer (Spring's
/// `StreamingResponseBody`): the way to send a large file, a CSV export or a PostgreSQL result
/// without holding it in memory.
///
/// ```swift
/// routes.get("/books/export.csv") { _ in
///     StreamingResponseBody(contentType: "text/csv", executor: "exports") { writer in
///         try writer.write("title,isbn\n")
///         try pool.withConnection { connection in
///             for book in try connection.query("SELECT title, isbn FROM books").decode(Book.self) {
///                 try writer.write("\(book.title),\(book.isbn)\n")
///             }
///         }
///     }
/// }
/// ```
/// The body runs on the back executor named `executor` (the default one when `nil`), with the
/// request's ``WorkContext``. Its writes are gathered into parts of 16 KiB; a part waits in
/// the stream's bounded buffer, and a write blocks while that buffer is full — up to
/// `streams.write-timeout`, then it throws ``StreamBufferFullError``. Once the client is gone
/// a write throws ``StreamClosedError``. The head is written with the first part (or when the
/// body returns), so an error thrown before any write still gets an ordinary error response;
/// one thrown after closes the connection. The request times out after `async.timeout` unless
/// given its own timeout (or none).
public struct StreamingResponseBody: HandlerResult {
    private let source: StreamingBodySource

    /// A body that times out after `async.timeout`.
    /// - Parameters:
    ///   - status: The status. Default 200.
    ///   - contentType: The body's type. Default `application/octet-stream`.
    ///   - headers: More headers (`content-disposition`, say).
    ///   - executor: The back executor to write on; `nil` is the default.
    ///   - body: Writes the body.
    public init(
        status: HTTPResponseStatus = .ok, contentType: String = "application/octet-stream", headers: HTTPHeaders = [:],
        executor: String? = nil, _ body: @escaping @Sendable (StreamWriter) throws -> Void
    ) {
        source = StreamingBodySource(
            timeout: .default, head: Self.head(status, contentType, headers), executor: executor, body: body)
    }

    /// A body with its own timeout; `nil` never times out.
    public init(
        timeout: Duration?, status: HTTPResponseStatus = .ok, contentType: String = "application/octet-stream",
        headers: HTTPHeaders = [:], executor: String? = nil, _ body: @escaping @Sendable (StreamWriter) throws -> Void
    ) {
        source = StreamingBodySource(
            timeout: StreamTimeout(timeout), head: Self.head(status, contentType, headers), executor: executor, body: body)
    }

    private static func head(_ status: HTTPResponseStatus, _ contentType: String, _ headers: HTTPHeaders) -> Response {
        var headers = headers
        if !headers.contains(name: "content-type") { headers.add(name: "content-type", value: contentType) }
        return Response(status: status, headers: headers)
    }

    /// Streams, from a back thread.
    public var handlerStep: HandlerStep { HandlerStep(.stream(source)) }
}

/// Runs a ``StreamingResponseBody``'s closure on its back executor.
final class StreamingBodySource: ResponseStreamSource {
    let timeout: StreamTimeout
    let head: Response
    let executor: String?
    let body: @Sendable (StreamWriter) throws -> Void

    init(timeout: StreamTimeout, head: Response, executor: String?, body: @escaping @Sendable (StreamWriter) throws -> Void) {
        self.timeout = timeout
        self.head = head
        self.executor = executor
        self.body = body
    }

    func start(_ exchange: StreamExchange) {
        let head = self.head
        let body = self.body
        do {
            let pool = try exchange.executors.executor(named: executor)
            try pool.execute(onDiscard: { reason in
                exchange.fail(RejectedExecutionError(pool: pool.name, reason: reason))
            }) {
                let writer = StreamWriter(exchange: exchange, head: head)
                do {
                    try body(writer)
                    try writer.finish()
                    exchange.complete()
                } catch {
                    exchange.fail(error)
                }
            }
        } catch {
            exchange.fail(error)
        }
    }

    func timedOut() {}

    func ended(_ ending: StreamEnding, error: (any Error)?) {}
}

/// Where a ``StreamingResponseBody`` writes: a blocking writer, for one back thread.
///
/// Writes are gathered into parts of up to ``partSize`` bytes; ``flush()`` sends what is
/// gathered at once. Not thread-safe: use it from the thread that runs the body.
public final class StreamWriter: @unchecked Sendable {
    // @unchecked Sendable: it is made and used on the back thread that runs one body; it is
    // never shared (the exchange it writes to is thread-safe).

    /// The size of the parts writes are gathered into: 16 KiB.
    public static let partSize = 16 * 1024

    private let exchange: StreamExchange
    private let head: Response
    private var gathered = ByteBuffer()
    private var committed = false

    init(exchange: StreamExchange, head: Response) {
        self.exchange = exchange
        self.head = head
    }

    /// Writes `bytes`, blocking while the client's buffer is full.
    /// - Throws: ``StreamClosedError`` once the client left or the request ended;
    ///   ``StreamBufferFullError`` after waiting `streams.write-timeout` for room.
    public func write(_ bytes: ByteBuffer) throws {
        var bytes = bytes
        gathered.writeBuffer(&bytes)
        if gathered.readableBytes >= Self.partSize { try flush() }
    }

    /// Writes `text` as UTF-8.
    public func write(_ text: String) throws {
        gathered.writeString(text)
        if gathered.readableBytes >= Self.partSize { try flush() }
    }

    /// Writes `bytes`.
    public func write(bytes: some Sequence<UInt8>) throws {
        gathered.writeBytes(bytes)
        if gathered.readableBytes >= Self.partSize { try flush() }
    }

    /// Sends what was gathered now (the head first, if it was not sent yet).
    /// - Throws: As the writes do.
    public func flush() throws {
        try commit()
        guard gathered.readableBytes > 0 else { return }
        let part = gathered
        gathered = ByteBuffer()
        try exchange.send(part, policy: .wait(exchange.streamSettings.writeTimeout))
    }

    /// The body returned: what is gathered goes, and the head if nothing did.
    func finish() throws {
        try flush()
    }

    private func commit() throws {
        guard !committed else { return }
        committed = true
        guard exchange.commit(head) != nil else { throw StreamClosedError(ending: nil) }
    }
}
