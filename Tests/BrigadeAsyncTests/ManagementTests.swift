import Brigade
import BrigadeExecutors
import BrigadePostgres
import BrigadeTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The management port: metrics that move, health and readiness, live resizing, the watchdog
/// and the pool advice.
@Suite struct ManagementTests {
    /// Small pools and fast sampling.
    static func configuration(back: Int = 1, backQueue: Int = 1) -> Configuration {
        var configuration = testConfiguration(back: back, backQueue: backQueue)
        configuration.management.sampleInterval = .milliseconds(50)
        configuration.management.adviceWindow = .seconds(1)
        configuration.management.history = .seconds(5)
        configuration.management.saturationThreshold = .milliseconds(200)
        return configuration
    }

    /// An app whose `/hold/{id}` callables block a back thread until `gate` opens.
    static func holdingApp(_ gate: Latch, back: Int = 1, backQueue: Int = 1) -> Application {
        var app = Application(configuration: configuration(back: back, backQueue: backQueue))
        app.register(TestController { routes in
            routes.get("/hold/{id}") { _ in Callable { () -> String in gate.wait(); return "released" } }
            routes.get("/never") { _ in DeferredResult<String>(timeout: .milliseconds(100)) }
            routes.get("/fast") { _ in "fast" }
        })
        return app
    }

    @Test("pool, async and connection metrics move with the work")
    func metricsMove() async throws {
        let gate = Latch()
        try await Self.holdingApp(gate).test(.live) { client in
            let management = try #require(client.management)
            let before = try await Metrics.read(management)
            #expect(before.value("brigade_pool_max_size", ["pool": "back"]) == 1)
            #expect(before.value("brigade_pool_max_size", ["pool": "front"]) == 4)
            // The front pool is adaptive (the default), the back pool eager.
            #expect(before.value("brigade_pool_blocked", ["pool": "front"]) == 0)
            #expect(before.value("brigade_pool_blocked", ["pool": "back"]) == nil)

            let first = Task { try await client.get("/hold/1") }
            #expect(try await Metrics.eventually(management) { $0.value("brigade_pool_active", ["pool": "back"]) == 1 })
            let second = Task { try await client.get("/hold/2") }
            let during = try await Metrics.waitFor(management) { $0.value("brigade_pool_queued", ["pool": "back"]) == 1 }
            #expect(during.value("brigade_async_requests_pending") == 2)
            #expect((during.value("brigade_http_connections_open") ?? 0) >= 2)
            // The queue holds one: the third is refused.
            #expect(try await client.get("/hold/3").status == .serviceUnavailable)
            #expect(try await client.get("/never").status == .serviceUnavailable)

            gate.open()
            #expect(try await first.value.status == .ok)
            #expect(try await second.value.status == .ok)
            let after = try await Metrics.waitFor(management) { $0.value("brigade_pool_completed_total", ["pool": "back"]) == 2 }
            #expect(after.value("brigade_pool_rejected_total", ["pool": "back"]) == 1)
            #expect(after.value("brigade_pool_queue_wait_seconds_count", ["pool": "back"]) == 2)
            #expect(after.value("brigade_pool_service_seconds_count", ["pool": "back"]) == 2)
            // The second waited for the first: its queue wait is in a bucket above 0.
            #expect((after.value("brigade_pool_queue_wait_seconds_sum", ["pool": "back"]) ?? 0) > 0)
            #expect(after.value("brigade_pool_active", ["pool": "back"]) == 0)
            // The front ran the four handlers, then rendered their four results.
            let frontBefore = before.value("brigade_pool_completed_total", ["pool": "front"]) ?? 0
            #expect((after.value("brigade_pool_completed_total", ["pool": "front"]) ?? 0) >= frontBefore + 8)
            #expect((after.value("brigade_pool_queue_wait_seconds_count", ["pool": "front"]) ?? 0) >= 8)
            #expect((2...4).contains(after.value("brigade_pool_size", ["pool": "front"]) ?? 0))
            #expect(after.value("brigade_async_requests_pending") == 0)
            #expect(after.value("brigade_async_requests_completed_total") == 4)
            #expect(after.value("brigade_async_requests_timed_out_total") == 1)
            #expect(after.value("brigade_http_requests_total", ["route": "/hold/{id}", "method": "GET", "status": "200"]) == 2)
            #expect(after.value("brigade_http_requests_total", ["route": "/hold/{id}", "method": "GET", "status": "503"]) == 1)
            #expect(after.value("brigade_http_requests_total", ["route": "/never", "method": "GET", "status": "503"]) == 1)
            #expect(after.value("brigade_http_request_duration_seconds_count", ["route": "/hold/{id}", "method": "GET", "status": "200"]) == 2)
        }
    }

    @Test("/health is up; /ready turns 503 while a pool refuses work")
    func readinessFollowsRejections() async throws {
        let gate = Latch()
        defer { gate.open() }
        try await Self.holdingApp(gate, backQueue: 0).test(.live) { client in
            let management = try #require(client.management)
            let health = try await management.get("/health")
            #expect(health.status == .ok)
            #expect(health.text == #"{"status":"UP"}"#)
            #expect(try await management.get("/ready").status == .ok)
            let held = Task { try await client.get("/hold/1") }
            #expect(try await Metrics.eventually(management) { $0.value("brigade_pool_active", ["pool": "back"]) == 1 })
            #expect(try await client.get("/hold/2").status == .serviceUnavailable)
            let ready = try await Self.poll(management, "/ready") { $0.status == .serviceUnavailable }
            let checks = try #require(try ready.jsonObject()["checks"] as? [String: Any])
            #expect((checks["back"] as? [String: Any])?["status"] as? String == "DOWN")
            #expect((checks["front"] as? [String: Any])?["status"] as? String == "UP")
            gate.open()
            #expect(try await held.value.status == .ok)
            #expect(try await management.get("/health").status == .ok)
        }
    }

    @Test("/ready turns 503 when the database stops and 200 when it returns")
    func readinessFollowsTheDatabase() async throws {
        let (database, pool) = try await blocking {
            let database = try EmbeddedPostgres.start()
            let pool = try PostgresPool(configuration: .init(url: database.url, maxSize: 2, minIdle: 0, connectionTimeout: .seconds(1)))
            return (database, pool)
        }
        defer { database.stop() }
        var app = Application(configuration: Self.configuration())
        app.manage(pool)
        try await app.test(.live) { client in
            let management = try #require(client.management)
            #expect(try await management.get("/ready").status == .ok)
            try await blocking { database.pause() }
            let down = try await management.get("/ready")
            #expect(down.status == .serviceUnavailable)
            let checks = try #require(try down.jsonObject()["checks"] as? [String: Any])
            #expect((checks["database"] as? [String: Any])?["status"] as? String == "DOWN")
            try await blocking { try database.resume() }
            _ = try await Self.poll(management, "/ready") { $0.status == .ok }
            // The database pool is in the metrics too.
            let metrics = try await Metrics.read(management)
            #expect(metrics.value("brigade_pool_max_size", ["pool": "database"]) == 2)
            // The readiness checks leased connections: their waits and hold times are recorded.
            #expect((metrics.value("brigade_pool_queue_wait_seconds_count", ["pool": "database"]) ?? 0) >= 2)
            #expect((metrics.value("brigade_pool_service_seconds_count", ["pool": "database"]) ?? 0) >= 2)
        }
        // The server closed the pool it managed.
        #expect(throws: PostgresError.self) { try pool.withConnection { _ in } }
    }

    @Test("PUT /pools/{name} resizes a running pool under load without dropping work")
    func liveResizing() async throws {
        let gate = Latch()
        defer { gate.open() }
        try await Self.holdingApp(gate, back: 2, backQueue: 100).test(.live) { client in
            let management = try #require(client.management)
            let requests = (0..<12).map { index in Task { try await client.get("/hold/\(index)") } }
            let saturated = try await Self.poll(management, "/pools/back") { response in
                (try? response.jsonObject()["queued"] as? Int) == 10
            }
            #expect(try saturated.jsonObject()["active"] as? Int == 2)

            let resized = try await management.send(.PUT, "/pools/back", json: ["max-threads": 16, "core-threads": 4])
            #expect(resized.status == .ok)
            #expect(try resized.jsonObject()["maxSize"] as? Int == 16)
            // The queued work starts on the new threads at once, while the gate is still shut.
            let grown = try await Self.poll(management, "/pools/back") { response in
                (try? response.jsonObject()["active"] as? Int) == 12
            }
            #expect(try grown.jsonObject()["queued"] as? Int == 0)
            gate.open()
            for request in requests { #expect(try await request.value.status == .ok) }

            let invalid = try await management.send(.PUT, "/pools/back", json: ["core-threads": 20, "max-threads": 8])
            #expect(invalid.status == .badRequest)
            #expect(invalid.header("content-type") == "application/problem+json")
            #expect(invalid.text.contains("core threads"))
            #expect(try await management.send(.PUT, "/pools/nope", json: ["max-threads": 8]).status == .notFound)
            #expect(try await management.execute(.PUT, "/pools/back", body: ByteBuffer(string: "{not json")).status == .badRequest)
            #expect(try await management.execute(.DELETE, "/pools/back").status == .methodNotAllowed)
            #expect(try await management.get("/nothing-here").status == .notFound)
        }
    }

    @Test("the watchdog reports a saturated pool once, naming the routes that hold its threads")
    func watchdogNamesTheHolders() async throws {
        let gate = Latch()
        defer { gate.open() }
        try await Self.holdingApp(gate, back: 2, backQueue: 10).test(.live) { client in
            let management = try #require(client.management)
            let requests = (0..<4).map { index in Task { try await client.get("/hold/\(index)") } }
            let report = try await Self.poll(management, "/pools") { response in
                ((try? response.jsonObject()["starvation"] as? [Any])?.isEmpty == false)
            }
            let episode = try #require((try report.jsonObject()["starvation"] as? [[String: Any]])?.first)
            #expect(episode["pool"] as? String == "back")
            #expect(episode["ongoing"] as? Bool == true)
            #expect((episode["heldBy"] as? String)?.contains("GET /hold/{id} ×2") == true)
            let warnings = try #require(try report.jsonObject()["warnings"] as? [String])
            #expect(warnings.contains { $0.hasPrefix("back pool saturated for") && $0.contains("GET /hold/{id}") })
            gate.open()
            for request in requests { #expect(try await request.value.status == .ok) }
            let ended = try await Self.poll(management, "/pools") { response in
                let episodes = (try? response.jsonObject()["starvation"] as? [[String: Any]]) ?? []
                return episodes.first?["ongoing"] as? Bool == false
            }
            #expect((try ended.jsonObject()["starvation"] as? [Any])?.count == 1)
        }
    }

    @Test("the advice for a Callable route follows Little's law: threads ≈ arrival rate × service time")
    func adviceFollowsLittlesLaw() async throws {
        var configuration = Self.configuration(back: 64, backQueue: 100)
        // Two seconds: enough tasks (≥ 100) in the window for advice to shrink, even when the
        // machine is busy with other tests.
        configuration.management.adviceWindow = .seconds(2)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/work") { _ in Callable { () -> String in Thread.sleep(forTimeInterval: 0.05); return "done" } }
        })
        try await app.test(.live) { client in
            let management = try #require(client.management)
            // Eight clients in a closed loop: λ ≈ 8 / 50 ms = 160/s, S = 50 ms, L ≈ 8 — for as
            // long as it takes the window to hold enough tasks to advise (a busy machine runs
            // the clients slower; the figures are rates, so they do not change).
            let report = try await Self.load(client, clients: 8, path: { _ in "/work" }, management: management) { report in
                let pools = report["pools"] as? [[String: Any]] ?? []
                let back = pools.first { $0["name"] as? String == "back" }
                return back?["recommendedSize"] is Int && ((back?["window"] as? [String: Any])?["completed"] as? Int ?? 0) >= 120
            }
            let pools = try #require(report["pools"] as? [[String: Any]])
            let back = try #require(pools.first { $0["name"] as? String == "back" })
            let window = try #require(back["window"] as? [String: Any])
            let service = try #require(window["serviceTimeMs"] as? Double)
            let rate = try #require(window["arrivalRate"] as? Double)
            let recommended = try #require(back["recommendedSize"] as? Int, "\(back["advice"] ?? "no advice")")
            #expect(service >= 50 && service < 100)
            // The recommendation is λ × (W + S) with 20 % headroom; no more than 8 can be in
            // the pool at once, and far more than one is.
            let law = rate * (service / 1000) * 1.2
            #expect(Double(recommended) >= law.rounded(.down))
            #expect((3...10).contains(recommended))
            #expect((back["advice"] as? String)?.contains("larger than needed") == true, "\(back["advice"] ?? "no advice")")
            #expect(back["verdict"] as? String == "larger-than-needed")
        }
    }

    @Test("a sync handler that sleeps on the front: the front pool saturates, the advice says to return a Callable, the route is flagged")
    func frontSaturatedWhileBackIdle() async throws {
        var configuration = Self.configuration(back: 4, backQueue: 10)
        configuration.front = .init(maxThreads: 2, minSpareThreads: 2, acceptQueue: 100)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/legacy/{id}") { _ -> String in Thread.sleep(forTimeInterval: 0.15); return "slow" }
        })
        try await app.test(.live) { client in
            let management = try #require(client.management)
            // Six clients on two front threads, until the advisor has seen enough of it.
            let report = try await Self.load(client, clients: 6, path: { "/legacy/\($0)" }, management: management) { report in
                let warnings = report["warnings"] as? [String] ?? []
                let front = (report["pools"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "front" }
                return warnings.contains { $0.hasPrefix("front pool saturated") } && warnings.contains { $0.hasPrefix("GET /legacy/{id} held") }
                    && front?["recommendedSize"] is Int
            }
            let warnings = try #require(report["warnings"] as? [String])
            #expect(warnings.contains { $0.hasPrefix("front pool saturated") && $0.contains("while back pool idle") && $0.hasSuffix("return a Callable from GET /legacy/{id}") }, "\(warnings)")
            #expect(warnings.contains { $0.hasPrefix("GET /legacy/{id} held a front thread for up to") })
            let pools = try #require(report["pools"] as? [[String: Any]])
            let front = try #require(pools.first { $0["name"] as? String == "front" })
            #expect((front["recommendedSize"] as? Int ?? 0) > 2, "\(front["advice"] ?? "no advice")")
            // The front pool is adaptive: it says its sleeping threads are what filled it.
            #expect((front["advice"] as? String)?.contains("too small: blocked threads filled all 2 while work waited") == true, "\(front["advice"] ?? "no advice")")
            #expect((front["adaptive"] as? [String: Any])?["parallelismKey"] as? String == "front.parallelism")
        }
    }

    /// Keeps `clients` clients requesting `path(index)` in a closed loop until `/pools`
    /// satisfies `done` (polled every 200 ms; at most 20 s), and returns that report. Load
    /// runs for as long as the advisor needs on this machine, however busy, instead of a
    /// fixed time that a busy machine turns into too few requests.
    static func load(
        _ client: TestClient, clients: Int, path: @escaping @Sendable (Int) -> String, management: TestClient,
        until done: @escaping @Sendable ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let stop = Watched(false)
        let response = try await withThrowingTaskGroup(of: TestResponse?.self) { group in
            for index in 0..<clients {
                group.addTask {
                    while !stop.value { _ = try await client.get(path(index)) }
                    return nil
                }
            }
            group.addTask {
                defer { stop.update { $0 = true } }
                let limit = ContinuousClock.now + .seconds(20)
                var last: TestResponse?
                while ContinuousClock.now < limit {
                    try await Task.sleep(for: .milliseconds(200))
                    let report = try await management.get("/pools")
                    last = report
                    if done(try report.jsonObject()) { break }
                }
                return last
            }
            var report: TestResponse?
            for try await result in group { if let result { report = result } }
            return report
        }
        return try #require(response).jsonObject()
    }

    @Test("back threads waiting for database connections: the advice says to raise database.max-size or lower back.max-threads")
    func backWaitsOnTheDatabase() async throws {
        let pool = try await blocking {
            let server = try EmbeddedPostgres.shared()
            let database = "advice_\(UInt32.random(in: 0...UInt32.max))"
            try server.createDatabase(database)
            return try PostgresPool(configuration: .init(url: server.url(database: database), maxSize: 1, minIdle: 0))
        }
        var app = Application(configuration: Self.configuration(back: 8, backQueue: 100))
        app.manage(pool)
        app.register(TestController { routes in
            routes.get("/query") { _ in
                Callable { () -> String in
                    try pool.withConnection { _ = try $0.query("SELECT pg_sleep(0.03)") }
                    return "done"
                }
            }
        })
        try await app.test(.live) { client in
            let management = try #require(client.management)
            // Load in rounds until the monitor's window holds enough of it (a busy test run may
            // delay the samples), five rounds at most.
            var warnings: [String] = []
            var response: TestResponse?
            for _ in 0..<5 {
                let end = ContinuousClock.now + .milliseconds(1200)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask { while ContinuousClock.now < end { _ = try await client.get("/query") } }
                    }
                    try await group.waitForAll()
                }
                response = try await management.get("/pools")
                warnings = try #require(try response?.jsonObject()["warnings"] as? [String])
                if warnings.contains(where: { $0.hasPrefix("back pool waits on the database pool") }) { break }
            }
            #expect(warnings.contains { $0.hasPrefix("back pool waits on the database pool") && $0.hasSuffix("raise database.max-size or lower back.max-threads") })
            let report = try #require(response)
            let pools = try #require(try report.jsonObject()["pools"] as? [[String: Any]])
            let database = try #require(pools.first { $0["name"] as? String == "database" })
            #expect((database["window"] as? [String: Any])?["throughput"] as? Double ?? 0 > 0)
        }
    }

    // MARK: helpers

    /// Polls a management endpoint until `condition` holds (up to 5 s).
    static func poll(_ client: TestClient, _ uri: String, _ condition: (TestResponse) -> Bool) async throws -> TestResponse {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let response = try await client.get(uri)
            if condition(response) || ContinuousClock.now >= deadline { return response }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A parsed Prometheus text exposition.
struct Metrics {
    let lines: [Substring]

    static func read(_ client: TestClient) async throws -> Metrics {
        let response = try await client.get("/metrics")
        #expect(response.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        return Metrics(lines: response.text.split(separator: "\n").filter { !$0.hasPrefix("#") })
    }

    /// Reads until `condition` holds (up to 5 s); returns the last reading.
    static func waitFor(_ client: TestClient, _ condition: (Metrics) -> Bool) async throws -> Metrics {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let metrics = try await read(client)
            if condition(metrics) || ContinuousClock.now >= deadline { return metrics }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func eventually(_ client: TestClient, _ condition: (Metrics) -> Bool) async throws -> Bool {
        condition(try await waitFor(client, condition))
    }

    /// The value of the sample `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in lines {
            guard line.hasPrefix(name), let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            let rest = series.dropFirst(name.count)
            guard rest.isEmpty || rest.first == "{" else { continue }
            if labels.allSatisfy({ series.contains("\($0.key)=\"\($0.value)\"") }) {
                return Double(line[line.index(after: space)...])
            }
        }
        return nil
    }
}
