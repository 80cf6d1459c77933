import BrigadeExecutors
import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// What an `async` handler's `AsyncSequence` may yield to be streamed: bytes
/// (`application/octet-stream`), text (`text/plain`), or Server-Sent Events
/// (`text/event-stream`). A sequence of any other `Encodable` is sent as JSON lines
/// (`application/x-ndjson`).
public protocol StreamElement: Sendable {
    /// The content type of a stream of these.
    static var streamContentType: String { get }
    /// The element's bytes.
    func streamBytes() throws -> ByteBuffer
}

extension ByteBuffer: StreamElement {
    /// `application/octet-stream`.
    public static var streamContentType: String { "application/octet-stream" }
    /// The bytes.
    public func streamBytes() throws -> ByteBuffer { self }
}

extension String: StreamElement {
    /// `text/plain; charset=utf-8`.
    public static var streamContentType: String { "text/plain; charset=utf-8" }
    /// The UTF-8 bytes.
    public func streamBytes() throws -> ByteBuffer { ByteBuffer(string: self) }
}

extension ServerSentEvent: StreamElement {
    /// `text/event-stream`.
    public static var streamContentType: String { "text/event-stream" }
    /// The event's wire form.
    public func streamBytes() throws -> ByteBuffer { encoded().bytes }
}

/// Streams what an `async` handler's sequence yields: the handler runs as a Swift task, the
/// head is written once it returned its sequence (an error before that is an ordinary error
/// response), each element is written as it comes, suspending while the client's buffer is
/// full, and the client's departure (or the timeout) cancels the task.
final class AsyncSequenceSource<S: AsyncSequence & Sendable>: ResponseStreamSource where S.Element: Sendable {
    let timeout = StreamTimeout.default
    private let request: Request
    private let makeSequence: @Sendable (Request) async throws -> S
    private let encode: @Sendable (S.Element) throws -> ByteBuffer
    private let head: Response
    private let task = CancellationLatch<Task<Void, Never>>()

    init(
        request: Request, contentType: String, makeSequence: @escaping @Sendable (Request) async throws -> S,
        encode: @escaping @Sendable (S.Element) throws -> ByteBuffer
    ) {
        self.request = request
        self.makeSequence = makeSequence
        self.encode = encode
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "cache-control", value: "no-cache")
        if contentType == ServerSentEvent.streamContentType { headers.add(name: "x-accel-buffering", value: "no") }
        self.head = Response(status: .ok, headers: headers)
    }

    func start(_ exchange: StreamExchange) {
        guard !task.isCancelled else { return }
        var request = self.request
        request.context = exchange.context
        let makeSequence = self.makeSequence
        let encode = self.encode
        let head = self.head
        let started = Task { [request] in
            await WorkContext.$current.withValue(request.context) {
                do {
                    let sequence = try await makeSequence(request)
                    guard exchange.commit(head) != nil else { return }
                    for try await element in sequence {
                        try await exchange.send(try encode(element))
                    }
                    exchange.complete()
                } catch {
                    exchange.fail(error)  // ignored if the stream already ended (client gone, timeout)
                }
            }
        }
        if !task.store(started) { started.cancel() }
    }

    func timedOut() {
        task.cancel()?.cancel()
    }

    func ended(_ ending: StreamEnding, error: (any Error)?) {
        task.cancel()?.cancel()  // the client's departure cancels the consuming task
    }
}

extension Routes {
    /// Registers an `async` handler whose `AsyncSequence` is streamed: bytes, text, or
    /// Server-Sent Events as they come (see ``StreamElement``).
    public func on<S: AsyncSequence & Sendable>(
        _ method: HTTPMethod, _ template: String, _ handler: @escaping @Sendable (Request) async throws -> S
    ) where S.Element: StreamElement {
        addStream(method, template) { request in
            AsyncSequenceSource(request: request, contentType: S.Element.streamContentType, makeSequence: handler) { try $0.streamBytes() }
        }
    }

    /// Registers an `async` handler whose `AsyncSequence` of `Encodable` values is streamed as
    /// JSON lines (`application/x-ndjson`).
    @_disfavoredOverload
    public func on<S: AsyncSequence & Sendable>(
        _ method: HTTPMethod, _ template: String, _ handler: @escaping @Sendable (Request) async throws -> S
    ) where S.Element: Encodable & Sendable {
        addStream(method, template) { request in
            AsyncSequenceSource(request: request, contentType: "application/x-ndjson", makeSequence: handler) { element in
                var buffer = try JSONBody.encode(element)
                buffer.writeStaticString("\n")
                return buffer
            }
        }
    }
}

/// What a route registered with an `AsyncSequence` handler returns.
struct SequenceStream: HandlerResult {
    let source: any ResponseStreamSource
    var handlerStep: HandlerStep { HandlerStep(.stream(source)) }
}
