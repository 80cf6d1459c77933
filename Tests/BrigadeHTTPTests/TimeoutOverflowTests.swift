import BrigadeTesting
import BrigadeHTTP
import NIOCore
import Testing

/// Timeouts far beyond any real need ("never", in effect) saturate; they do not trap.
@Suite struct TimeoutOverflowTests {
    @Test func aServerWithAnIdleTimeoutTooLongForNanosecondsServesRequests() async throws {
        // Int64.max seconds: 9.2e27 ns, far past what a TimeAmount holds.
        try await withHTTPServer({ $0.idleTimeout = .seconds(Int64.max) }, respond: { _, writer in
            writer.write(textResponse("ok"))
        }) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try await connection.responses(1).map(\.status) == [200])
            try await connection.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try await connection.responses(2).map(\.status) == [200, 200])
            await connection.close()
        }
    }
}
