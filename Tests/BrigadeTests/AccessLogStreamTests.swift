import Brigade
import BrigadeTesting
import Dispatch
import Foundation
import Logging
import Testing

/// Streamed responses in the access log: one line when the stream ends, with its status, the
/// body bytes it wrote, and how it ended (`%E`; `"stream"` in `json`).
@Suite struct AccessLogStreamTests {
    func app(records: LogRecords, format: String) -> Application {
        var configuration = testConfiguration()
        configuration.accessLog.enabled = true
        configuration.accessLog.format = format
        var app = Application(configuration: configuration)
        app.accessLogger = records.logger(label: "brigade.access", level: .info)
        app.register(RoutesController { routes in
            routes.get("/books/{id}") { _ in "a book" }
            routes.get("/feed") { _ in
                let emitter = ResponseBodyEmitter(contentType: "text/plain")
                DispatchQueue.global().async {
                    for line in ["one\n", "two\n", "three\n"] { try? emitter.send(text: line) }
                    emitter.complete()
                }
                return emitter
            }
            routes.get("/ticks") { _ in
                let emitter = SseEmitter(timeout: .milliseconds(100))
                try? emitter.send(ServerSentEvent(data: "hello"))
                return emitter
            }
            routes.get("/gone") { _ in
                let emitter = SseEmitter(timeout: nil)
                try? emitter.send(ServerSentEvent(data: "hi"))
                return emitter
            }
        })
        return app
    }

    @Test func aStreamsLineHasItsStatusBytesAndHowItEnded() async throws {
        let records = LogRecords()
        try await app(records: records, format: "%U %s %b %E").test(.live) { client in
            #expect(try await client.get("/feed").text == "one\ntwo\nthree\n")
            #expect(try await client.get("/ticks").text == "data: hello\n\n")
            #expect(try await client.get("/books/7").text == "a book")

            let connection = try await RawHTTPConnection.connect(port: try #require(client.port))
            try await connection.send("GET /gone HTTP/1.1\r\nHost: t\r\n\r\n")
            try await connection.received.wait("the first event") { String(decoding: $0.bytes, as: UTF8.self).contains("data: hi\n\n") }
            await connection.close()
            // Its line comes once the server noticed the departure (before shutting down,
            // which would end it as `shutdown`).
            let deadline = ContinuousClock.now + .seconds(10)
            while !records.all.contains(where: { $0.message.hasPrefix("/gone ") }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let lines = Set(records.all.map(\.message))
        #expect(lines == [
            "/feed 200 14 completed",  // "one\ntwo\nthree\n": the body, without the chunked framing
            "/ticks 200 13 timed-out",  // "data: hello\n\n"
            "/gone 200 10 client-gone",  // "data: hi\n\n"
            "/books/7 200 6 -",  // not a stream
        ], "\(records.all.map(\.message))")
    }

    @Test func jsonSaysHowAStreamEndedAndNullForOtherResponses() async throws {
        let records = LogRecords()
        try await app(records: records, format: "json").test(.live) { client in
            _ = try await client.get("/feed")
            _ = try await client.get("/books/7")
        }
        let objects = try records.all.map { record in
            try #require(try JSONSerialization.jsonObject(with: Data(record.message.utf8)) as? [String: Any], "\(record.message)")
        }
        let feed = try #require(objects.first { $0["uri"] as? String == "/feed" }, "\(records.all.map(\.message))")
        #expect(feed["stream"] as? String == "completed")
        #expect(feed["status"] as? Int == 200)
        #expect(feed["bytes"] as? Int == 14)
        let book = try #require(objects.first { $0["uri"] as? String == "/books/7" })
        #expect(book["stream"] is NSNull, "\(book)")
        #expect(book["bytes"] as? Int == 6)
    }

    @Test func theStreamTokenIsAccepted() throws {
        var configuration = Configuration()
        configuration.accessLog.format = "%I %s %E"
        try configuration.validate()
    }
}
