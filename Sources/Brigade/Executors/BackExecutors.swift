import BrigadeExecutors
import CoreMetrics

/// The back tier: the default executor and the named ones (bulkheads), each a bounded
/// ``ThreadPool`` whose threads report ``ThreadTier/back(_:)``.
public final class BackExecutors: Sendable {
    /// The executor `Callable`s run on (`back.*` keys; tier `back:default`).
    public let defaultExecutor: ThreadPool
    private let named: [String: ThreadPool]

    init(configuration: Configuration, metrics: (any MetricsFactory)? = nil) throws(ConfigurationError) {
        defaultExecutor = try ThreadPool(configuration: configuration.back.poolConfiguration(name: "back", tier: .back("default")), metrics: metrics)
        var named: [String: ThreadPool] = [:]
        for (name, settings) in configuration.executors {
            named[name] = try ThreadPool(configuration: settings.poolConfiguration(name: name, tier: .back(name)), metrics: metrics)
        }
        self.named = named
    }

    /// The executor called `name` (`default` is the default executor).
    public subscript(_ name: String) -> ThreadPool? {
        name == "default" ? defaultExecutor : named[name]
    }

    /// Every executor, the default first.
    public var all: [ThreadPool] { [defaultExecutor] + named.keys.sorted().compactMap { named[$0] } }

    /// The executor for `name`, or the default one when `name` is `nil`.
    /// - Throws: ``HTTPError`` 500 for an unknown name (a programming error, logged).
    func executor(named name: String?) throws -> ThreadPool {
        guard let name else { return defaultExecutor }
        guard let pool = self[name] else {
            throw UnknownExecutorError(name: name, known: ["default"] + self.named.keys.sorted())
        }
        return pool
    }

    /// Graceful shutdown of every executor, each within `timeout`.
    func shutdownGracefully(timeout: Duration) async {
        for pool in all { _ = await pool.shutdownGracefully(timeout: timeout) }
    }
}

/// A `WebAsyncTask` named an executor the configuration does not declare.
public struct UnknownExecutorError: Error, Sendable, CustomStringConvertible {
    /// The name asked for.
    public let name: String
    /// The executors that exist.
    public let known: [String]
    public var description: String {
        "no executor named '\(name)'; declare it with executors.\(name).max-threads (known: \(known.joined(separator: ", ")))"
    }
}
