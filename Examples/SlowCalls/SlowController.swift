import Brigade
import Foundation

/// The ways to wait, side by side: every endpoint waits `ms` milliseconds and answers which
/// thread did the waiting (or completed the result).
final class SlowController: Controller {
    struct Report: Codable, Sendable {
        let mode: String
        let ms: Int
        let thread: String
    }

    /// Where `/slow/run` sends its blocking call (the default back executor).
    private let executors: ApplicationExecutors

    init(executors: ApplicationExecutors) {
        self.executors = executors
    }

    func register(with routes: Routes) {
        routes.get("/slow/sync", sync)
        routes.get("/slow/callable", callable)
        routes.get("/slow/task", task)
        routes.get("/slow/deferred", deferred)
        routes.get("/slow/async", async)
        routes.get("/slow/run", run)
    }

    /// Sleeps on the front thread: classic Spring MVC. Throughput ≈ front threads / wait.
    func sync(_ request: Request) throws -> Report {
        let ms = try Self.milliseconds(request)
        Self.block(ms)
        return Report(mode: "sync", ms: ms, thread: ThreadTier.currentThreadName)
    }

    /// Sleeps on a back thread; the front thread is released at once.
    func callable(_ request: Request) throws -> Callable<Report> {
        let ms = try Self.milliseconds(request)
        return Callable {
            Self.block(ms)
            return Report(mode: "callable", ms: ms, thread: ThreadTier.currentThreadName)
        }
    }

    /// Like `callable`, with its own timeout `timeout` (ms): past it, 503.
    func task(_ request: Request) throws -> WebAsyncTask<Report> {
        let ms = try Self.milliseconds(request)
        let timeout = try Self.milliseconds(request, name: "timeout", default: 30_000)
        return WebAsyncTask(timeout: .milliseconds(timeout)) {
            Self.block(ms)
            return Report(mode: "task", ms: ms, thread: ThreadTier.currentThreadName)
        }
    }

    /// Completed by a timer: no thread waits.
    func deferred(_ request: Request) throws -> DeferredResult<Report> {
        let ms = try Self.milliseconds(request)
        let result = DeferredResult<Report>()
        Scheduler.shared.schedule(after: .milliseconds(ms)) {
            result.setResult(Report(mode: "deferred", ms: ms, thread: ThreadTier.currentThreadName))
        }
        return result
    }

    /// An `async` handler: the event-loop model, on Swift concurrency.
    func async(_ request: Request) async throws -> Report {
        let ms = try Self.milliseconds(request)
        try await Task.sleep(for: .milliseconds(ms))
        return Report(mode: "async", ms: ms, thread: ThreadTier.currentThreadName)
    }

    /// An `async` handler that must call blocking code: it awaits it on a back thread through
    /// `run`, so neither a front thread nor a thread of Swift's concurrency pool waits.
    func run(_ request: Request) async throws -> Report {
        let ms = try Self.milliseconds(request)
        return try await executors.run {
            Self.block(ms)
            return Report(mode: "run", ms: ms, thread: ThreadTier.currentThreadName)
        }
    }

    /// `ms` (or `name`) as 0…60000; anything else is a 400.
    static func milliseconds(_ request: Request, name: String = "ms", default defaultValue: Int? = nil) throws -> Int {
        let value: Int
        if let defaultValue {
            value = try request.query(name, default: defaultValue)
        } else {
            value = try request.requiredQuery(name, as: Int.self)
        }
        guard (0...60_000).contains(value) else {
            throw HTTPError(.badRequest, "query parameter '\(name)' must be between 0 and 60000, got \(value)",
                            invalidParameters: [.init(name: name, reason: "must be between 0 and 60000")])
        }
        return value
    }

    /// Blocks the calling thread (the point of the sync and callable modes).
    static func block(_ ms: Int) {
        if ms > 0 { Thread.sleep(forTimeInterval: Double(ms) / 1000) }
    }
}
