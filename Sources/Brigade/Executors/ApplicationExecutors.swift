import BrigadeExecutors
import Synchronization

/// The back executors, for the application's own code: the way to run blocking work from
/// `async` code, `@Async`-style service methods, and fire-and-forget background work.
///
/// Taken from the application before the server exists and handed to services and
/// controllers; it works while the server runs (from ``Application/makeServer()`` to the end
/// of its shutdown).
///
/// ```swift
/// var app = Application(configuration: configuration)
/// let reports = app.executors["reports"]        // executors.reports.* must be declared
/// app.register(ReportController(service: ReportService(executor: reports)))
///
/// // async code awaiting blocking work, without blocking a Swift concurrency thread:
/// let rows = try await app.executors.run { try pool.withConnection { try $0.query(sql) } }
/// ```
///
/// Every executor named through ``subscript(_:)`` is checked when the server is made: an
/// undeclared one is a start-up failure, not a 500 on the first request.
public final class ApplicationExecutors: Sendable {
    private enum Binding {
        case notStarted
        case running(BackExecutors, BackgroundWork)
        case stopped
    }

    private struct State {
        var binding = Binding.notStarted
        /// The names handed out by the subscript, checked when the server is made.
        var named: Set<String> = []
    }

    private let state = Mutex(State())

    init() {}

    /// The executor called `name`: `default` (the `back.*` keys) or one declared with
    /// `executors.<name>.*`. Checked against the configuration when the server is made.
    public subscript(_ name: String) -> BackExecutor {
        state.withLock { _ = $0.named.insert(name) }
        return BackExecutor(name: name, owner: self)
    }

    /// The default back executor (`back.*` keys).
    public var defaultExecutor: BackExecutor { BackExecutor(name: "default", owner: self) }

    /// Runs blocking `body` on a back executor and suspends the calling task until it returns;
    /// see ``BackExecutor/run(_:)``.
    /// - Parameter executor: The executor's name; `nil` is the default one.
    public func run<T: Sendable>(_ executor: String? = nil, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await BackExecutor(name: executor ?? "default", owner: self).run(body)
    }

    /// Starts blocking `body` on a back executor and returns its result to come; see
    /// ``BackExecutor/submit(_:)``.
    /// - Parameter executor: The executor's name; `nil` is the default one.
    public func submit<T: Sendable>(_ executor: String? = nil, _ body: @escaping @Sendable () throws -> T) -> Completable<T> {
        BackExecutor(name: executor ?? "default", owner: self).submit(body)
    }

    /// Starts background work no one waits for; see ``BackExecutor/launch(_:)``.
    /// - Parameter executor: The executor's name; `nil` is the default one.
    public func launch(_ executor: String? = nil, _ body: @escaping @Sendable () throws -> Void) throws {
        try BackExecutor(name: executor ?? "default", owner: self).launch(body)
    }

    // MARK: the server's side

    /// Checks that every executor handed out by name is declared.
    /// - Throws: ``ConfigurationError`` naming the first undeclared one and the key to declare it.
    func checkNames(declared: Set<String>) throws(ConfigurationError) {
        let unknown = state.withLock { $0.named.subtracting(declared).subtracting(["default"]).sorted() }
        if let name = unknown.first {
            throw ConfigurationError(UnknownExecutorError(name: name, known: ["default"] + declared.sorted()).description)
        }
    }

    /// The server made `executors`: work goes to them from now on.
    func bind(_ executors: BackExecutors, background: BackgroundWork) {
        state.withLock { $0.binding = .running(executors, background) }
    }

    /// The server that made `executors` stopped; later work is refused.
    func unbind(_ executors: BackExecutors) {
        state.withLock { state in
            if case .running(let bound, _) = state.binding, bound === executors { state.binding = .stopped }
        }
    }

    /// The pool called `name` and the server's background-work registry.
    /// - Throws: ``ExecutorsNotRunningError`` before the server is made;
    ///   ``RejectedExecutionError`` (`shutdown`) after it stopped; ``UnknownExecutorError``.
    func resolve(_ name: String) throws -> (ThreadPool, BackgroundWork) {
        switch state.withLock({ $0.binding }) {
        case .notStarted:
            throw ExecutorsNotRunningError(executor: name)
        case .stopped:
            throw RejectedExecutionError(pool: name == "default" ? "back" : name, reason: .shutdown)
        case .running(let executors, let background):
            return (try executors.executor(named: name == "default" ? nil : name), background)
        }
    }
}

/// Work was handed to ``ApplicationExecutors`` before the server was made.
public struct ExecutorsNotRunningError: Error, Sendable, CustomStringConvertible {
    /// The executor asked for.
    public let executor: String
    public var description: String {
        "executor '\(executor)' is not running yet: the application's executors start with its server (Application.makeServer, run or main)"
    }
}
