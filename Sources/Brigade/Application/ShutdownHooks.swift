/// What an application asked to run around its server's shutdown
/// (``Application/beforeShutdown(_:)``, ``Application/afterShutdown(_:)``).
struct ShutdownHooks: Sendable {
    /// When graceful shutdown begins, in registration order.
    var before: [@Sendable () -> Void] = []
    /// Once the server stopped, run last registered first.
    var after: [@Sendable () async -> Void] = []
}
