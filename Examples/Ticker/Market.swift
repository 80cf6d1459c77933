import Brigade
import BrigadeExecutors
import Foundation
import Synchronization

/// A simulated market: every `interval` one symbol's price takes a random step. Each quote is
/// numbered, kept in a window of recent ones (for subscribers resuming after a
/// `Last-Event-ID`), and published to the topic of its symbol.
///
/// With a ``relay`` (several instances on one PostgreSQL), a move is not applied here but
/// handed to the relay, which numbers it once for all instances and brings it back to every
/// instance's ``apply(symbol:price:sequence:)`` — this one's included.
final class Market: Sendable {
    /// How many recent quotes are kept for resumption.
    static let replayWindow = 4096

    private struct State {
        var prices: [String: Quote] = [:]
        var recent: [Quote] = []
        var sequence = 0
        var running = false
        var task: Scheduler.ScheduledTask?
        var generator = SystemRandomNumberGenerator()
        var relay: (@Sendable (String, Double) -> Void)?
    }

    let symbols: [String]
    private let interval: Duration
    private let topics: [String: Topic]
    /// Publishing and subscribing happen under this lock, so a subscriber resuming after an
    /// id neither misses nor repeats a quote.
    private let state = Mutex(State())

    init(symbols: [String], interval: Duration) {
        self.symbols = symbols
        self.interval = interval
        self.topics = Dictionary(uniqueKeysWithValues: symbols.map { ($0, Topic()) })
        state.withLock { state in
            for (index, symbol) in symbols.enumerated() {
                state.sequence += 1
                state.prices[symbol] = Quote(symbol: symbol, price: 100 + Double(index) * 25, sequence: state.sequence, time: Date())
            }
        }
    }

    func start() {
        state.withLock { $0.running = true }
        scheduleNext()
    }

    func stop() {
        let task = state.withLock { state in
            state.running = false
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }

    /// The last price of `symbol`, if it is quoted.
    func quote(_ symbol: String) -> Quote? {
        state.withLock { $0.prices[symbol.uppercased()] }
    }

    /// Subscribes `emitter` to `symbols`, first replaying the quotes after `lastEventID` that
    /// are still in the window.
    func subscribe(_ emitter: SseEmitter, to symbols: [String], after lastEventID: Int?) {
        state.withLock { state in
            let wanted = Set(symbols)
            let missed = lastEventID.map { after in state.recent.filter { $0.sequence > after && wanted.contains($0.symbol) } } ?? []
            var replay = missed.compactMap { try? Self.event(for: $0).encoded() }
            for symbol in symbols {
                guard let topic = topics[symbol] else { continue }
                topic.subscribe(emitter, replaying: replay)
                replay = []  // replayed once, through the first topic
            }
        }
    }

    /// Where moves go instead of being applied here: set when prices travel through PostgreSQL.
    var relay: (@Sendable (String, Double) -> Void)? {
        get { state.withLock { $0.relay } }
        set { state.withLock { $0.relay = newValue } }
    }

    /// Moves one price and publishes it (or hands it to the relay).
    func tick() {
        let move = state.withLock { state -> (String, Double)? in
            guard let symbol = symbols.randomElement(using: &state.generator), let last = state.prices[symbol] else { return nil }
            let step = Double.random(in: -0.01...0.01, using: &state.generator)
            return (symbol, (last.price * (1 + step) * 100).rounded() / 100)
        }
        guard let (symbol, price) = move else { return }
        post(symbol: symbol, price: price)
    }

    /// A new price for `symbol` (a trade reported by `POST /quotes/{symbol}`, or a simulated
    /// move): through the relay when there is one, else applied here.
    func post(symbol: String, price: Double) {
        if let relay { relay(symbol, price) } else { apply(symbol: symbol, price: price, sequence: nil) }
    }

    /// Records a price and publishes it to the symbol's subscribers.
    /// - Parameter sequence: The number the relay gave it (the same on every instance), or
    ///   `nil` to number it here.
    func apply(symbol: String, price: Double, sequence: Int?) {
        state.withLock { state in
            guard state.prices[symbol] != nil else { return }
            state.sequence = max(state.sequence + 1, sequence ?? 0)
            let quote = Quote(symbol: symbol, price: price, sequence: sequence ?? state.sequence, time: Date())
            state.prices[symbol] = quote
            state.recent.append(quote)
            if state.recent.count > Self.replayWindow { state.recent.removeFirst(state.recent.count - Self.replayWindow) }
            if let event = try? Self.event(for: quote) { topics[symbol]?.publish(event) }
        }
    }

    static func event(for quote: Quote) throws -> ServerSentEvent {
        try ServerSentEvent(json: quote, event: "quote", id: String(quote.sequence))
    }

    private func scheduleNext() {
        let task = Scheduler.shared.schedule(after: interval) { [self] in
            tick()
            if state.withLock({ $0.running }) { scheduleNext() }
        }
        let keep = state.withLock { state -> Bool in
            guard state.running else { return false }
            state.task = task
            return true
        }
        if !keep { task.cancel() }
    }
}
