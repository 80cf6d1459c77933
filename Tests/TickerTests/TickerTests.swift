import Brigade
import BrigadeTesting
import Foundation
import Testing

@testable import Ticker

/// The Ticker example over real sockets: the benchmark's contract and the quote feed.
@Suite struct TickerTests {
    private func withTicker<R: Sendable>(
        _ arguments: [String] = [], _ body: @Sendable (TestClient) async throws -> R
    ) async throws -> R {
        let configuration = try await Configuration.load(
            arguments: ["ticker", "--server-host", "127.0.0.1", "--server-port", "0", "--management-enabled", "false"] + arguments,
            environment: [:])
        return try await buildTickerApplication(configuration: configuration).test(.live, body)
    }

    /// `data: <sequence> <µs>` of every complete event in `text` (raw: chunk framing included).
    private static func ticks(_ text: String) -> [(sequence: Int, stamp: Int64)] {
        text.matches(of: /data: (\d+) (\d+)\n\n/).compactMap { match in
            guard let sequence = Int(match.1), let stamp = Int64(match.2) else { return nil }
            return (sequence, stamp)
        }
    }

    /// The `id:` and `data:` lines of every complete event in `text`.
    private static func events(_ text: String) -> [(id: Int, data: String)] {
        text.matches(of: /id: (\d+)\nevent: quote\ndata: ([^\n]*)\n\n/).compactMap { match in
            Int(match.1).map { ($0, String(match.2)) }
        }
    }

    @Test func everySubscriberGetsEachTickWithTheSameStamp() async throws {
        try await withTicker(["--tick-ms", "50"]) { client in
            let port = try #require(client.port)
            var subscribers: [RawHTTPConnection] = []
            for _ in 0..<3 {
                let connection = try await RawHTTPConnection.connect(port: port)
                try await connection.send("GET /ticker HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n")
                subscribers.append(connection)
            }
            let stats = try await client.get("/ticker/stats")
            #expect(try stats.decode(TickerController.Stats.self).subscribers == 3)
            for subscriber in subscribers {
                do {
                    try await subscriber.received.wait("five ticks") { Self.ticks(String(decoding: $0.bytes, as: UTF8.self)).count >= 5 }
                } catch {
                    Issue.record("\(error): received \(subscriber.text.debugDescription)")
                    throw error
                }
                #expect(subscriber.text.contains("content-type: text/event-stream"))
            }
            // One stamp per tick, the same for everyone; sequences increase by one.
            var stampOf: [Int: Int64] = [:]
            for subscriber in subscribers {
                let ticks = Self.ticks(subscriber.text)
                #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $1.sequence == $0.sequence + 1 }, "\(ticks)")
                for tick in ticks {
                    if let stamp = stampOf[tick.sequence] { #expect(stamp == tick.stamp) } else { stampOf[tick.sequence] = tick.stamp }
                }
            }
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            #expect(stampOf.values.allSatisfy { abs(now - $0) < 60_000_000 }, "stamps are wall-clock microseconds")
            for subscriber in subscribers { await subscriber.close() }
        }
    }

    @Test func aQuoteIsItsLastPriceAndAnUnknownSymbolIs404() async throws {
        try await withTicker { client in
            let quote = try await client.get("/quotes/aapl").decode(Quote.self)
            #expect(quote.symbol == "AAPL")
            #expect(quote.price > 0)
            #expect(try await client.get("/quotes/NOPE").status == .notFound)
            #expect(try await client.get("/quotes/stream?symbols=AAPL,NOPE").status == .badRequest)
        }
    }

    @Test func aSubscriberResumingAfterAnIdGetsTheQuotesItMissed() async throws {
        try await withTicker(["--market-interval", "5ms", "--market-symbols", "AAA,BBB"]) { client in
            let port = try #require(client.port)
            // Let the market publish a few quotes, then resume after the first known one.
            let first = try await client.get("/quotes/AAA").decode(Quote.self)
            let later = try await RawHTTPConnection.connect(port: port)
            try await later.send("GET /quotes/stream?symbols=AAA HTTP/1.1\r\nHost: t\r\nLast-Event-ID: \(first.sequence)\r\n\r\n")
            try await later.received.wait("quotes") { Self.events(String(decoding: $0.bytes, as: UTF8.self)).count > 4 }
            let events = Self.events(later.text)
            let ids = events.map(\.id)
            #expect(!ids.isEmpty && ids.allSatisfy { $0 > first.sequence }, "\(ids)")
            #expect(ids == ids.sorted() && Set(ids).count == ids.count, "replayed and live quotes in order, none twice: \(ids)")
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let symbols = events.compactMap { try? decoder.decode(Quote.self, from: Data($0.data.utf8)).symbol }
            #expect(symbols.count == events.count && symbols.allSatisfy { $0 == "AAA" }, "\(symbols)")
            await later.close()
            #expect(try await client.get("/quotes/stream?symbols=AAA", headers: ["last-event-id": "soon"]).status == .badRequest)
        }
    }
}
