import Brigade
import BrigadePostgres
import BrigadeTesting
import Foundation
import Testing

@testable import Ticker

/// Two Ticker instances on one PostgreSQL: a price posted on one reaches the SSE subscribers
/// of both, with the same event id.
@Suite(.timeLimit(.minutes(2))) struct CrossInstanceTickerTests {
    private static func ticker(_ url: String) async throws -> Application {
        let configuration = try await Configuration.load(
            arguments: [
                "ticker", "--server-host", "127.0.0.1", "--server-port", "0", "--management-enabled", "false",
                "--market-simulate", "false", "--market-symbols", "AAA,BBB", "--database-url", url, "--database-max-size", "2",
            ],
            environment: [:])
        return try await blocking { try buildTickerApplication(configuration: configuration) }
    }

    private static func quotes(_ text: String) -> [(id: Int, data: String)] {
        text.matches(of: /id: (\d+)\nevent: quote\ndata: ([^\n]*)\n\n/).compactMap { match in
                Int(match.1).map { ($0, String(match.2)) }
            }
    }

    @Test func aPricePostedOnOneInstanceReachesTheSubscribersOfEvery() async throws {
        let url = try await blocking {
            let server = try EmbeddedPostgres.shared()
            let name = "ticker_\(UInt32.random(in: 0...UInt32.max))"
            try server.createDatabase(name)
            return server.url(database: name)
        }
        let first = try await Self.ticker(url)
        let second = try await Self.ticker(url)
        try await first.test(.live) { one in
            try await second.test(.live) { two in
                var subscribers: [RawHTTPConnection] = []
                for port in [try #require(one.port), try #require(two.port)] {
                    let connection = try await RawHTTPConnection.connect(port: port)
                    try await connection.send("GET /quotes/stream?symbols=AAA HTTP/1.1\r\nHost: t\r\n\r\n")
                    try await connection.received.wait(timeout: .seconds(10), "the stream's head") { String(decoding: $0.bytes, as: UTF8.self).contains("\r\n\r\n") }
                    subscribers.append(connection)
                }
                let posted = try await two.send(.POST, "/quotes/AAA", json: QuoteController.Trade(price: 123.45))
                #expect(posted.status == .accepted)
                for subscriber in subscribers {
                    try await subscriber.received.wait(timeout: .seconds(20), "the posted quote") { !Self.quotes(String(decoding: $0.bytes, as: UTF8.self)).isEmpty }
                }
                let seen = subscribers.map { Self.quotes($0.text) }
                #expect(seen.allSatisfy { $0.count == 1 && $0[0].data.contains("\"price\":123.45") })
                #expect(seen[0].first?.id == seen[1].first?.id, "one number for every instance")
                #expect(try await one.get("/quotes/AAA").decode(Quote.self).price == 123.45)
                for subscriber in subscribers { await subscriber.close() }
            }
        }
    }

    @Test func aTradeMustHaveAPositivePriceAndAKnownSymbol() async throws {
        let url = try await blocking {
            let server = try EmbeddedPostgres.shared()
            let name = "ticker_\(UInt32.random(in: 0...UInt32.max))"
            try server.createDatabase(name)
            return server.url(database: name)
        }
        try await Self.ticker(url).test(.live) { client in
            let negative = try await client.send(.POST, "/quotes/AAA", json: QuoteController.Trade(price: -1))
            #expect(negative.status == .unprocessableEntity)
            let unknown = try await client.send(.POST, "/quotes/NOPE", json: QuoteController.Trade(price: 1))
            #expect(unknown.status == .notFound)
        }
    }
}
