/// Something an application runs beside its pools that the server starts, watches and stops:
/// a PostgreSQL notification listener, say.
///
/// Registered with `Application.manage(_:)`, a component is started before the server
/// accepts requests (a start that fails is a start-up failure), asked by `/ready` whether it
/// can serve, shown by `/pools` and `/metrics`, and closed at shutdown once every request
/// was answered — so it keeps working while the server drains.
///
/// Every requirement but ``name`` and ``status()`` has a default.
public protocol ManagedComponent: AnyObject, Sendable {
    /// The component's name, unique among an application's pools and components.
    var name: String { get }
    /// Its state and counters now. Cheap and non-blocking: `/metrics` asks on every scrape.
    func status() -> ComponentStatus
    /// Starts it; blocks until it works or fails. Called once, off the event loops and Swift
    /// concurrency's threads. Default: nothing to start.
    /// - Throws: Why it cannot start; the server does not start then.
    func start() throws
    /// Whether it can serve now, within `timeout`. Default: ready when ``status()`` is up.
    /// - Throws: Why it cannot.
    func checkReadiness(timeout: Duration) throws
    /// Stops it once the server has answered every request. Default: nothing.
    func close() async
}

extension ManagedComponent {
    /// Nothing to start.
    public func start() throws {}

    /// Ready when ``status()`` says it is up; otherwise throws its detail.
    public func checkReadiness(timeout: Duration) throws {
        let status = status()
        guard status.isUp else { throw ComponentNotReady(name: name, detail: status.detail ?? "down") }
    }

    /// Nothing to stop.
    public func close() async {}
}

/// A managed component's state and counters at one instant, as `/pools` shows them and
/// `/metrics` exports them: `brigade_<kind>_up{name=…}`, one `brigade_<kind>_<counter>_total`
/// per counter and one `brigade_<kind>_<gauge>` per gauge.
public struct ComponentStatus: Sendable, Hashable, Encodable {
    /// The component's name.
    public var name: String
    /// What it is, lower-case snake case (`listener`): the metrics' prefix.
    public var kind: String
    /// Whether it works now.
    public var isUp: Bool
    /// Why it does not, or what it is doing (`reconnecting, attempt 3`).
    public var detail: String?
    /// Counts since it started (`notifications`, `reconnections`), snake case.
    public var counters: [String: UInt64]
    /// Values now (`channels`, `last_reconnect_delay_seconds`), snake case.
    public var gauges: [String: Double]

    /// Creates a status; see each property.
    public init(
        name: String, kind: String, isUp: Bool, detail: String? = nil,
        counters: [String: UInt64] = [:], gauges: [String: Double] = [:]
    ) {
        self.name = name
        self.kind = kind
        self.isUp = isUp
        self.detail = detail
        self.counters = counters
        self.gauges = gauges
    }

    enum CodingKeys: String, CodingKey {
        case name, kind, detail, counters, gauges
        case isUp = "up"
    }
}

/// A managed component said it cannot serve.
public struct ComponentNotReady: Error, CustomStringConvertible {
    /// The component.
    public var name: String
    /// Its own explanation.
    public var detail: String
    /// `<name> is down: <detail>`.
    public var description: String { "\(name) is down: \(detail)" }
}
