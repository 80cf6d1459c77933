import Brigade
import Foundation

/// The Ticker's own configuration keys, read like Brigade's (`--tick-ms`, `TICK_MS`, …).
///
/// | key | default | meaning |
/// |---|---|---|
/// | `tick-ms` (`TICK_MS`) | `1000` | the ticker's period, in milliseconds |
/// | `market.interval` | `200ms` | how often the simulated market moves a price |
/// | `market.symbols` | `AAPL,MSFT,GOOG,AMZN,NVDA,META,TSLA,IBM` | the symbols it quotes |
/// | `market.simulate` | `true` | whether this instance moves prices by itself |
/// | `database.url` (`DATABASE_URL`) | unset | when set, prices go through PostgreSQL (`NOTIFY`) to every instance |
struct TickerSettings: Sendable {
    var tick: Duration
    var marketInterval: Duration
    var symbols: [String]
    var simulate: Bool
    /// `nil`: one instance on its own; set: quotes are relayed to every instance.
    var databaseURL: String?

    init(keys: ConfigKeys) throws(ConfigurationError) {
        let milliseconds = try keys.int("tick-ms") ?? 1000
        guard milliseconds >= 1 else { throw ConfigurationError(key: "tick-ms", "tick-ms must be at least 1, got \(milliseconds)") }
        tick = .milliseconds(milliseconds)
        marketInterval = try keys.duration("market.interval") ?? .milliseconds(200)
        guard marketInterval > .zero else { throw ConfigurationError("market.interval must be positive") }
        symbols = (keys.string("market.symbols") ?? "AAPL,MSFT,GOOG,AMZN,NVDA,META,TSLA,IBM")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        guard !symbols.isEmpty else { throw ConfigurationError("market.symbols must name at least one symbol") }
        simulate = try keys.bool("market.simulate") ?? true
        databaseURL = keys.string("database.url").flatMap { $0.isEmpty ? nil : $0 }
    }
}
