import Brigade
import NIOCore
import NIOHTTP1
import NIOPosix

/// A minimal HTTP/1.1 client on SwiftNIO: one connection per request, for live tests.
public enum LiveHTTPClient {
    /// Sends `request` to 127.0.0.1:`port` and returns the response.
    public static func send(_ request: HTTPServerRequest, port: Int, host: String = "127.0.0.1") async throws -> TestResponse {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var headers = request.headers
            headers.replaceOrAdd(name: "host", value: "\(host):\(port)")
            if request.body.readableBytes > 0 || [.POST, .PUT, .PATCH].contains(request.method) {
                headers.replaceOrAdd(name: "content-length", value: String(request.body.readableBytes))
            }
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri, headers: headers)))
            if request.body.readableBytes > 0 { try await outbound.write(.body(.byteBuffer(request.body))) }
            try await outbound.write(.end(nil))
            var head: HTTPResponseHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let received) where received.status.code >= 200 || received.status.code < 100:
                    head = received
                case .head:
                    continue  // 100 Continue
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let head else { throw HTTPServerError(message: "response ended before its head") }
                    return TestResponse(status: head.status, headers: head.headers, body: body)
                }
            }
            throw HTTPServerError(message: "connection closed before a complete response")
        }
    }
}
