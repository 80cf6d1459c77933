import BrigadeExecutors
import BrigadeHTTP
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Answers the management port: `GET /` (dashboard), `/health`, `/ready`, `/metrics`,
/// `/pools`, `/pools/{name}`, and `PUT /pools/{name}` (live resizing).
///
/// Runs on its own small pool (`management`), never on the front pool, so it answers even
/// when the application's pools are saturated — exactly when it is needed.
struct ManagementResponder: HTTPResponder {
    let pool: ThreadPool
    let monitor: PoolMonitor
    let settings: Configuration.Management
    /// Whether the server is shutting down (not ready).
    let stopping: @Sendable () -> Bool
    /// How long a pool's readiness check may take.
    static let readinessTimeout: Duration = .seconds(2)
    /// How far back refusals make the server not ready.
    static let rejectionWindow: Duration = .seconds(5)

    func respond(to request: HTTPServerRequest, writer: HTTPResponseWriter) {
        do {
            try pool.execute { writer.write(answer(request)) }
        } catch {
            writer.write(ProblemDetails(error: .serviceUnavailable(detail: "the management port is busy"), request: nil).response())
        }
    }

    /// The response to one management request.
    func answer(_ request: HTTPServerRequest) -> Response {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true)
        do {
            switch (request.method, segments.count, segments.first) {
            case (.GET, 0, _), (.HEAD, 0, _): return Self.html(Dashboard.html)
            case (.GET, 1, "health"): return try .json(["status": "UP"])
            case (.GET, 1, "ready"): return try readiness()
            case (.GET, 1, "metrics"): return metrics()
            case (.GET, 1, "pools"): return try .json(report(history: Self.flag(request, "history")))
            case (.GET, 2, "pools"): return try poolReport(String(segments[1]))
            case (.PUT, 2, "pools"): return try resize(String(segments[1]), body: request.body)
            case (_, 0, _), (_, 1, "health"), (_, 1, "ready"), (_, 1, "metrics"), (_, 1, "pools"):
                throw HTTPError(.methodNotAllowed, "\(request.method.rawValue) is not supported for \(request.path)", headers: ["allow": "GET"])
            case (_, 2, "pools"):
                throw HTTPError(.methodNotAllowed, "\(request.method.rawValue) is not supported for \(request.path)", headers: ["allow": "GET, PUT"])
            default:
                throw HTTPError(.notFound, "no management resource at \(request.path)")
            }
        } catch let error as HTTPError {
            return ProblemDetails(error: error, request: nil).response()
        } catch {
            return ProblemDetails(error: HTTPError(.internalServerError, "the report could not be produced"), request: nil).response()
        }
    }

    // MARK: endpoints

    /// Spring Boot's readiness: 200 `UP` when every pool can serve (the database answers)
    /// and none refused work in the last 5 s; else 503 `DOWN` with the failing checks.
    private func readiness() throws -> Response {
        var checks: [String: ReadinessCheck] = [:]
        if stopping() { checks["server"] = ReadinessCheck(status: "DOWN", detail: "shutting down") }
        for pool in monitor.pools {
            let refused = monitor.rejected(pool: pool.name, within: Self.rejectionWindow)
            do {
                try pool.checkReadiness(timeout: Self.readinessTimeout)
                checks[pool.name] = refused == 0
                    ? ReadinessCheck(status: "UP", detail: nil)
                    : ReadinessCheck(status: "DOWN", detail: "refused \(refused) in the last 5 s")
            } catch {
                checks[pool.name] = ReadinessCheck(status: "DOWN", detail: "\(error)")
            }
        }
        for component in monitor.components {
            do {
                try component.checkReadiness(timeout: Self.readinessTimeout)
                checks[component.name] = ReadinessCheck(status: "UP", detail: nil)
            } catch {
                checks[component.name] = ReadinessCheck(status: "DOWN", detail: "\(error)")
            }
        }
        let up = checks.values.allSatisfy { $0.status == "UP" }
        return try .json(Readiness(status: up ? "UP" : "DOWN", checks: checks), status: up ? .ok : .serviceUnavailable)
    }

    private func metrics() -> Response {
        monitor.metrics.update(monitor.pools.map { $0.snapshot() })
        monitor.metrics.update(monitor.components.map { $0.status() })
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; version=0.0.4; charset=utf-8")
        return Response(status: .ok, headers: headers, body: ByteBuffer(string: monitor.metrics.exposition()))
    }

    private func report(history: Bool) -> PoolsReport {
        var report = PoolAdvisor(settings: settings, now: monotonicNanoseconds())
            .report(monitor.view, pools: monitor.pools, blocking: monitor.requests.blockingRoutes, includeHistory: history)
        report.components = monitor.components.map { $0.status() }
        return report
    }

    private func poolReport(_ name: String) throws -> Response {
        guard let found = report(history: true).pools.first(where: { $0.name == name }) else { throw unknownPool(name) }
        return try .json(found)
    }

    /// Changes a running pool's sizes; the body is `{"core-threads": 8, "max-threads": 32,
    /// "queue-capacity": 100}`, any subset.
    private func resize(_ name: String, body: ByteBuffer) throws -> Response {
        guard let pool = monitor.pool(named: name) else { throw unknownPool(name) }
        let change: PoolResize
        do {
            change = try JSONDecoder().decode(PoolResize.self, from: Data(body.readableBytesView))
        } catch {
            throw HTTPError(.badRequest, "the body must be a JSON object with any of core-threads, max-threads, queue-capacity (integers)")
        }
        guard change.coreThreads != nil || change.maxThreads != nil || change.queueCapacity != nil else {
            throw HTTPError(.badRequest, "nothing to change: give core-threads, max-threads or queue-capacity")
        }
        do {
            try pool.resize(change)
        } catch {
            throw HTTPError(.badRequest, error.message)
        }
        monitor.sample()
        return try poolReport(name)
    }

    // MARK: helpers

    private func unknownPool(_ name: String) -> HTTPError {
        HTTPError(.notFound, "no pool named '\(name)' (pools: \(monitor.pools.map(\.name).joined(separator: ", ")))")
    }

    private static func flag(_ request: HTTPServerRequest, _ name: String) -> Bool {
        guard let query = request.query else { return false }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first == Substring(name) { return parts.count == 1 || !["0", "false", "no"].contains(parts[1].lowercased()) }
        }
        return false
    }

    private static func html(_ page: String) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/html; charset=utf-8")
        headers.add(name: "cache-control", value: "no-store")
        // The page is self-contained: the browser refuses (and reports in its console)
        // anything it would load from elsewhere.
        headers.add(
            name: "content-security-policy",
            value: "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'")
        return Response(status: .ok, headers: headers, body: ByteBuffer(string: page))
    }

    private struct Readiness: Encodable {
        var status: String
        var checks: [String: ReadinessCheck]
    }

    private struct ReadinessCheck: Encodable {
        var status: String
        var detail: String?
    }
}
