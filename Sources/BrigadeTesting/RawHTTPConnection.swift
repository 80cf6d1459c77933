import NIOCore
import NIOPosix

/// A TCP connection that writes raw bytes and collects raw bytes: for what an HTTP client
/// library would not send (pipelined requests, oversized headers, garbage, chunked bodies)
/// and for watching the connection close.
public final class RawHTTPConnection: Sendable {
    /// What the connection received so far.
    public struct Received: Sendable {
        /// Every byte received so far.
        public var bytes: [UInt8] = []
        /// Whether the server closed the connection.
        public var closed = false
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: Watched<Received>
        init(_ received: Watched<Received>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.update { $0.bytes.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.update { $0.closed = true }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)  // a reset: the connection is gone
        }
    }

    /// The underlying NIO channel.
    public let channel: any Channel
    /// The bytes received and whether the server closed the connection, observable.
    public let received: Watched<Received>

    private init(channel: any Channel, received: Watched<Received>) {
        self.channel = channel
        self.received = received
    }

    /// Connects to 127.0.0.1:`port`.
    public static func connect(port: Int) async throws -> RawHTTPConnection {
        let received = Watched(Received())
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received)) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawHTTPConnection(channel: channel, received: received)
    }

    /// Writes `text` (UTF-8) in one write.
    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Writes `bytes` in one write.
    public func send(bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Sends `length` bytes of `x`, `chunk` bytes every `interval`, paced by the connection's
    /// event loop — not by a Swift task, whose sleeps a busy test run (tests blocking Swift's
    /// cooperative threads) can stretch by seconds and so turn a steady sender into a slow one.
    /// Stops by itself after the last byte or when the connection closes; `cancel()` the
    /// returned task to stop it earlier.
    @discardableResult
    public func trickle(length: Int, chunk: Int, every interval: Duration) -> RepeatedTask {
        let eventLoop = channel.eventLoop
        let channel = self.channel
        let received = self.received
        let sent = Watched(0)
        let delay = TimeAmount.nanoseconds(Int64(interval.components.seconds) * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000)
        return eventLoop.scheduleRepeatedTask(initialDelay: delay, delay: delay) { task in
            var size = 0
            sent.update { sent in
                size = min(chunk, length - sent)
                sent += size
            }
            guard size > 0, !received.value.closed else {
                task.cancel()
                return
            }
            channel.writeAndFlush(ByteBuffer(repeating: UInt8(ascii: "x"), count: size), promise: nil)
        }
    }

    /// Everything received so far, as text.
    public var text: String { String(decoding: received.value.bytes, as: UTF8.self) }

    /// The complete responses received so far.
    public var responses: [RawResponse] { RawResponse.parse(received.value.bytes, closed: received.value.closed) }

    /// Whether the server closed the connection.
    public var isClosed: Bool { received.value.closed }

    /// Waits until `count` complete responses arrived (or the connection closed), and returns
    /// every complete response received.
    @discardableResult
    public func responses(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [RawResponse] {
        let state = try await received.wait(timeout: timeout, "\(count) responses") { state in
            state.closed || RawResponse.parse(state.bytes, closed: false).count >= count
        }
        return RawResponse.parse(state.bytes, closed: state.closed)
    }

    /// Waits until the server closes the connection.
    public func waitForClose(timeout: Duration = .seconds(10)) async throws {
        try await received.wait(timeout: timeout, "the connection to close") { $0.closed }
    }

    /// Closes the connection from this side.
    public func close() async {
        try? await channel.close()
    }
}

/// A response parsed minimally from raw bytes: status line, headers, `Content-Length` body.
public struct RawResponse: Sendable, CustomStringConvertible {
    /// The status code.
    public var status: Int
    /// The headers, in order.
    public var headers: [(name: String, value: String)]
    /// The body as text (for a chunked body, the chunks joined).
    public var body: String
    /// A chunked body's chunks, in order (empty otherwise).
    public var chunks: [String] = []

    /// The first value of a header (case-insensitive name).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var description: String { "\(status) \(headers.map { "\($0.name): \($0.value)" }) \(body)" }

    /// Parses every complete response in `bytes`. 1xx, 204 and 304 have no body; a chunked one
    /// is complete at its last chunk; one without `Content-Length` runs to the end of the
    /// connection (complete once `closed`).
    public static func parse(_ bytes: [UInt8], closed: Bool) -> [RawResponse] {
        var responses: [RawResponse] = []
        var offset = 0
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while offset < bytes.count {
            guard let headEnd = find(separator, in: bytes, from: offset) else { break }
            let head = String(decoding: bytes[offset..<headEnd], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { break }
            let headers = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let bodyStart = headEnd + separator.count
            var response = RawResponse(status: status, headers: headers, body: "")
            if status < 200 || status == 204 || status == 304 {
                offset = bodyStart
            } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
                guard let (chunks, end) = Self.chunks(bytes, from: bodyStart) else { break }
                response.chunks = chunks
                response.body = chunks.joined()
                offset = end
            } else if let length = response.header("content-length").flatMap({ Int($0) }) {
                guard bytes.count - bodyStart >= length else { break }
                response.body = String(decoding: bytes[bodyStart..<bodyStart + length], as: UTF8.self)
                offset = bodyStart + length
            } else {
                guard closed else { break }
                response.body = String(decoding: bytes[bodyStart...], as: UTF8.self)
                offset = bytes.count
            }
            responses.append(response)
        }
        return responses
    }

    /// The chunks of a chunked body starting at `start`, and where it ends; `nil` while its
    /// last chunk has not arrived.
    static func chunks(_ bytes: [UInt8], from start: Int) -> ([String], Int)? {
        var chunks: [String] = []
        var offset = start
        let crlf: [UInt8] = Array("\r\n".utf8)
        while true {
            guard let lineEnd = find(crlf, in: bytes, from: offset) else { return nil }
            let sizeText = String(decoding: bytes[offset..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            let dataStart = lineEnd + 2
            if size == 0 {
                guard let trailerEnd = find(crlf, in: bytes, from: dataStart) else { return nil }
                return (chunks, trailerEnd + 2)
            }
            guard bytes.count >= dataStart + size + 2 else { return nil }
            chunks.append(String(decoding: bytes[dataStart..<dataStart + size], as: UTF8.self))
            offset = dataStart + size + 2
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0] && Array(haystack[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}

import Foundation
