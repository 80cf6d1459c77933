import Brigade
import Foundation

/// `GET /quotes/stream?symbols=AAPL,MSFT` (Server-Sent Events, resumable with
/// `Last-Event-ID`), `GET /quotes/{symbol}` (the last price), `GET /quotes` (the symbols),
/// `POST /quotes/{symbol}` (`{"price": 123.45}`: a trade, published to every subscriber — of
/// every instance when they share a database).
final class QuoteController: Controller {
    struct Trade: Codable, Sendable {
        let price: Double
    }

    private let market: Market

    init(market: Market) {
        self.market = market
    }

    func register(with routes: Routes) {
        routes.get("/quotes") { [market] _ in market.symbols.compactMap { market.quote($0) } }
        routes.get("/quotes/stream", stream)
        routes.get("/quotes/{symbol}") { [market] request in
            let symbol = try request.path("symbol", as: String.self)
            guard let quote = market.quote(symbol) else { throw HTTPError(.notFound, "no quotes for \(symbol)") }
            return quote
        }
        routes.post("/quotes/{symbol}") { [market] request in
            let symbol = try request.path("symbol", as: String.self).uppercased()
            guard market.quote(symbol) != nil else { throw HTTPError(.notFound, "no quotes for \(symbol)") }
            let trade = try request.decode(Trade.self)
            guard trade.price.isFinite, trade.price > 0 else {
                throw HTTPError(.unprocessableEntity, "price must be a positive number",
                                invalidParameters: [.init(name: "price", reason: "must be positive")])
            }
            market.post(symbol: symbol, price: (trade.price * 100).rounded() / 100)
            return ResponseEntity<String>(status: .accepted, body: nil)
        }
    }

    /// The feed: the symbols asked for (all when none), a heartbeat every 15 s, a subscriber
    /// that falls behind keeps the newest quotes. No timeout: it lasts as long as the client.
    func stream(_ request: Request) throws -> SseEmitter {
        let asked = (request.queryValue("symbols") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        let unknown = asked.filter { market.quote($0) == nil }
        guard unknown.isEmpty else {
            throw HTTPError(.badRequest, "unknown symbols: \(unknown.joined(separator: ", "))",
                            invalidParameters: [.init(name: "symbols", reason: "not quoted: \(unknown.joined(separator: ", "))")])
        }
        let symbols = asked.isEmpty ? market.symbols : asked
        let lastEventID = try request.lastEventID.map { text -> Int in
            guard let id = Int(text) else {
                throw HTTPError(.badRequest, "Last-Event-ID must be a quote's sequence number, got '\(text)'")
            }
            return id
        }
        let emitter = SseEmitter(timeout: nil, heartbeat: .seconds(15), whenFull: .dropOldest)
        market.subscribe(emitter, to: symbols, after: lastEventID)
        return emitter
    }
}

/// `GET /ticker` (one event per tick to every subscriber), `GET /ticker/stats`.
final class TickerController: Controller {
    struct Stats: Codable, Sendable {
        let subscribers: Int
    }

    private let ticker: Ticker

    init(ticker: Ticker) {
        self.ticker = ticker
    }

    func register(with routes: Routes) {
        routes.get("/ticker") { [ticker] _ in
            let emitter = SseEmitter(timeout: nil, bufferSize: 4 * 1024, whenFull: .dropOldest)
            ticker.topic.subscribe(emitter)
            return emitter
        }
        routes.get("/ticker/stats") { [ticker] _ in Stats(subscribers: ticker.topic.subscriberCount) }
    }
}
