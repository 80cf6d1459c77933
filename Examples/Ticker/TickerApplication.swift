import Brigade

/// Builds the Ticker from a configuration; `main` and the tests share it. Starts the market
/// and the ticker; the application's `afterShutdown` stops them.
func buildTickerApplication(configuration: Configuration) throws -> Application {
    let settings = try TickerSettings(keys: ConfigKeys(reader: configuration.reader))
    let market = Market(symbols: settings.symbols, interval: settings.marketInterval)
    let ticker = Ticker(period: settings.tick)
    market.start()
    ticker.start()
    var app = Application(configuration: configuration)
    app.register(QuoteController(market: market))
    app.register(TickerController(ticker: ticker))
    app.afterShutdown {
        market.stop()
        ticker.stop()
    }
    return app
}
