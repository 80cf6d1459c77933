import BrigadeExecutors
import BrigadeTesting
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import BrigadeHTTP

/// The request body's buffer grows with the bytes that arrive, not with what the head
/// declares: a `Content-Length` is a client's word, and a few thousand connections each
/// declaring `server.max-body-size` must not make the server reserve that much for each.
@Suite struct BodyBufferTests {
    @Test func aDeclaredContentLengthReservesNothingBeforeTheBytesArrive() throws {
        let received = Watched<[Int]>([])
        let responder = ClosureResponder { request, writer in
            received.update { $0.append(request.body.readableBytes) }
            writer.write(textResponse("ok"))
        }
        let handler = HTTPConnectionHandler(
            responder: responder, configuration: .init(maxBodySize: 4 * 1024 * 1024), logger: .init(label: "test"))
        let channel = EmbeddedChannel(handler: handler)
        defer { _ = try? channel.finish() }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/upload")
        head.headers.add(name: "host", value: "test")
        head.headers.add(name: "content-length", value: "2000000")
        try channel.writeInbound(HTTPServerRequestPart.head(head))
        #expect((handler.receivingBodyCapacity ?? 0) < 64 * 1024, "reserved \(handler.receivingBodyCapacity ?? 0) bytes on the head's word")

        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(repeating: UInt8(ascii: "x"), count: 1000)))
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(repeating: UInt8(ascii: "x"), count: 1000)))
        #expect((handler.receivingBodyCapacity ?? 0) < 64 * 1024, "holds \(handler.receivingBodyCapacity ?? 0) bytes for 2,000 received")
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(received.value == [2000])
    }
}
