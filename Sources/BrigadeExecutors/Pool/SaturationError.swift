/// An error that means "a bounded resource is full right now; try again shortly": a pool
/// refused work, no database connection came free in time.
///
/// The web tier answers any such error with `503 Service Unavailable` and `Retry-After`,
/// whichever half of the framework threw it — the data half conforms its `PoolTimeout`
/// without knowing the web half.
public protocol SaturationError: Error {
    /// What was saturated, for logs ("front pool", "database pool").
    var saturatedResource: String { get }
}

extension RejectedExecutionError: SaturationError {
    /// The pool's name.
    public var saturatedResource: String { "pool '\(pool)'" }
}
