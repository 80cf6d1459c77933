import Brigade
import BrigadePostgres

/// Builds the Ticker from a configuration; `main` and the tests share it. Starts the market
/// and the ticker; the application's `afterShutdown` stops them.
///
/// With `database.url` set, prices travel through PostgreSQL (``QuoteRelay``): a price moved
/// or posted on any instance reaches the SSE subscribers of every instance. Then let one
/// instance simulate (`market.simulate=false` on the others), or none and post prices.
/// - Throws: ``ConfigurationError``, `PostgresError` (the database), `ListenerError`.
func buildTickerApplication(configuration: Configuration) throws -> Application {
    let keys = ConfigKeys(reader: configuration.reader)
    let settings = try TickerSettings(keys: keys)
    let market = Market(symbols: settings.symbols, interval: settings.marketInterval)
    let ticker = Ticker(period: settings.tick)
    var app = Application(configuration: configuration)
    if let url = settings.databaseURL {
        let pool = try PostgresPool(configuration: .init(keys: keys, defaultURL: url))
        let listener = try PostgresListener(configuration: .init(keys: keys, defaultURL: url))
        let relay = QuoteRelay(pool: pool, sender: app.executors.defaultExecutor, logger: app.logger)
        do {
            try relay.prepare()
            try relay.connect(market, listener: listener)
        } catch {
            pool.shutdown()
            throw error
        }
        app.manage(pool)
        app.manage(listener)  // started with the server, before the market moves
    }
    if settings.simulate { market.start() }
    ticker.start()
    app.register(QuoteController(market: market))
    app.register(TickerController(ticker: ticker))
    app.afterShutdown {
        market.stop()
        ticker.stop()
    }
    return app
}
