import Brigade
import BrigadeTesting
import Testing

/// The README's "Streaming responses" controller, as printed there, and what it answers.
final class PriceController: Controller {
    let prices = Topic()   // events fanned out to every subscriber

    func register(with routes: Routes) {
        // Server-Sent Events: returned at once, fed from any thread.
        routes.get("/prices") { [prices] request in
            let emitter = SseEmitter(timeout: nil, heartbeat: .seconds(15), whenFull: .dropOldest)
            prices.subscribe(emitter)        // leaves the topic when its stream ends
            return emitter
        }
        // A large body written on a back thread through a blocking writer.
        routes.get("/export.csv") { _ in
            StreamingResponseBody(contentType: "text/csv") { writer in
                for row in 0..<1_000_000 { try writer.write("\(row),\(row * row)\n") }
            }
        }
        // An async handler may return an AsyncSequence: bytes, text, SSE events, or
        // Encodable values (sent as JSON lines).
        routes.get("/countdown") { _ async throws in
            AsyncStream<String> { continuation in
                for n in (1...3).reversed() { continuation.yield("\(n)\n") }
                continuation.finish()
            }
        }
    }
}

@Suite struct ReadmeStreamingTests {
    @Test func theReadmesStreamingControllerAnswersAsDescribed() async throws {
        let controller = PriceController()
        var app = Application(configuration: testConfiguration(asyncTimeout: .seconds(120)))
        app.register(controller)
        try await app.test(.live) { client in
            let countdown = try await client.get("/countdown")
            #expect(countdown.text == "3\n2\n1\n")

            let export = try await client.get("/export.csv")
            #expect(export.header("content-type") == "text/csv")
            #expect(export.text.hasPrefix("0,0\n1,1\n2,4\n"))
            #expect(export.text.hasSuffix("999999,999998000001\n"))

            let subscriber = try await RawHTTPConnection.connect(port: try #require(client.port))
            try await subscriber.send("GET /prices HTTP/1.1\r\nHost: t\r\n\r\n")
            try await subscriber.received.wait("the head") { String(decoding: $0.bytes, as: UTF8.self).contains("text/event-stream") }
            #expect(await eventually { controller.prices.subscriberCount == 1 })
            controller.prices.publish(ServerSentEvent(data: "42.10", event: "price"))
            try await subscriber.received.wait("the price") { String(decoding: $0.bytes, as: UTF8.self).contains("event: price\ndata: 42.10\n\n") }
            await subscriber.close()
            #expect(await eventually { controller.prices.subscriberCount == 0 }, "a departed subscriber leaves the topic")
        }
    }
}
