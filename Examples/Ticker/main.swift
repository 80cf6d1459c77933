import Brigade

// The seed documents' stock-quote service, in small: a simulated market publishing prices to
// Server-Sent Events subscribers (`GET /quotes/stream?symbols=AAPL,MSFT`, resumable with
// Last-Event-ID), the last price as JSON (`GET /quotes/{symbol}`), and the benchmark's
// ticker (`GET /ticker`: one event to every subscriber every TICK_MS milliseconds).
await Application.main { configuration in
    try buildTickerApplication(configuration: configuration)
}
