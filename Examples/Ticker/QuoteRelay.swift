import Brigade
import BrigadePostgres
import Foundation

/// Prices across instances: a move made or reported on any instance is numbered once by a
/// PostgreSQL sequence and sent with `pg_notify` on `ticker_quotes`; every instance's
/// `PostgresListener` brings it to its ``Market``, whose `Topic`s fan it out to that
/// instance's SSE subscribers. The numbers being global, a client resuming with
/// `Last-Event-ID` on another instance gets what it missed from that instance's window.
///
/// The payload is the quote itself (symbol, price, number: a few dozen bytes, far below
/// `NOTIFY`'s 8000-byte limit).
final class QuoteRelay: Sendable {
    /// The channel prices travel on.
    static let channel = "ticker_quotes"

    private struct Payload: Codable {
        let symbol: String
        let price: Double
        let sequence: Int
    }

    private let pool: PostgresPool
    private let sender: BackExecutor
    private let logger: Logger

    /// - Parameters:
    ///   - pool: Where moves are numbered and sent.
    ///   - sender: The back executor that sends them (never the market's timer thread).
    init(pool: PostgresPool, sender: BackExecutor, logger: Logger) {
        self.pool = pool
        self.sender = sender
        self.logger = logger
    }

    /// Creates the sequence that numbers quotes, if missing. Blocking: at start-up.
    func prepare() throws {
        try pool.query("CREATE SEQUENCE IF NOT EXISTS ticker_quote_sequence")
    }

    /// Numbers a move and notifies every instance. Blocking: on a back thread.
    func send(symbol: String, price: Double) throws {
        try pool.query(
            """
            SELECT pg_notify('ticker_quotes', json_build_object(
                'symbol', \(symbol)::text, 'price', \(price)::float8, 'sequence', nextval('ticker_quote_sequence'))::text)
            """)
    }

    /// Sends from a back thread; a move that cannot be sent is logged and skipped.
    func sendLater(symbol: String, price: Double) {
        do {
            try sender.launch { [self] in try send(symbol: symbol, price: price) }
        } catch {
            logger.warning("quote not relayed", metadata: ["symbol": "\(symbol)", "error": "\(error)"])
        }
    }

    /// Joins the relay to `market`: moves go out through PostgreSQL, and notifications come
    /// back into it.
    func connect(_ market: Market, listener: PostgresListener) throws {
        market.relay = { [self] symbol, price in sendLater(symbol: symbol, price: price) }
        try listener.listen(Self.channel) { [logger] notification in
            guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(notification.payload.utf8)) else {
                logger.warning("ignoring a malformed quote", metadata: ["payload": "\(notification.payload)"])
                return
            }
            market.apply(symbol: payload.symbol, price: payload.price, sequence: payload.sequence)
        }
        // Missed quotes are not replayed: the next one for each symbol brings its price.
    }
}
