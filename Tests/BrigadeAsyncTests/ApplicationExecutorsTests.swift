@testable import Brigade
import BrigadeTesting
import Dispatch
import Logging
import NIOHTTP1
import Synchronization
import Testing

/// `app.executors`: blocking work awaited from async code (`run`), `@Async`-style services
/// (`submit` → `Completable` → `DeferredResult`), and background work (`launch`).
@Suite struct ApplicationExecutorsTests {
    struct Boom: Error {}

    private func configuration(reports: Int = 2, reportsQueue: Int = 10, asyncTimeout: Duration = .seconds(5)) -> Configuration {
        var configuration = testConfiguration(asyncTimeout: asyncTimeout)
        configuration.executors["reports"] = .init(coreThreads: 0, maxThreads: reports, queueCapacity: reportsQueue)
        return configuration
    }

    // MARK: run

    @Test func anAsyncHandlerAwaitsBlockingWorkOnABackThreadWithItsRequest() async throws {
        var app = Application(configuration: configuration())
        let executors = app.executors
        app.register(TestController { routes in
            routes.get("/run") { _ async throws -> String in
                try await executors.run("reports") {
                    "\(ThreadTier.current) \(WorkContext.current?.requestID ?? "none")"
                }
            }
            routes.get("/run-default") { _ async throws -> String in
                try await executors.run { ThreadTier.current.description }
            }
        })
        try await app.test(.live) { client in
            let response = try await client.get("/run", headers: ["X-Request-Id": "report-17"])
            #expect(response.status == .ok)
            #expect(response.text == "back:reports report-17")
            #expect(try await client.get("/run-default").text == "back:default")
        }
    }

    @Test func aSaturatedExecutorIs503AtOnce() async throws {
        let gate = Latch()
        let holding = Latch()
        var app = Application(configuration: configuration(reports: 1, reportsQueue: 0))
        let executors = app.executors
        app.register(TestController { routes in
            routes.get("/hold") { _ in
                WebAsyncTask(executor: "reports") { () -> String in
                    holding.open()
                    gate.wait()
                    return "held"
                }
            }
            routes.get("/run") { _ async throws -> String in
                try await executors.run("reports") { "ran" }
            }
            routes.get("/submit") { _ in
                DeferredResult(executors["reports"].submit { "ran" })
            }
        })
        try await app.test(.live) { client in
            async let held = client.get("/hold")
            #expect(await holding.waitAsync())
            let run = try await client.get("/run")
            #expect(run.status == .serviceUnavailable)
            #expect(run.header("retry-after") != nil)
            #expect(try await client.get("/submit").status == .serviceUnavailable)
            gate.open()
            #expect(try await held.text == "held")
        }
    }

    @Test func anExecutorTheConfigurationLacksFailsTheStartNotTheFirstRequest() throws {
        let app = Application(configuration: configuration())
        _ = app.executors["reprots"]
        do {
            _ = try app.makeServer()
            Issue.record("the server was made with an undeclared executor")
        } catch let error as ConfigurationError {
            #expect(error.message.contains("no executor named 'reprots'"))
            #expect(error.message.contains("executors.reprots.max-threads"))
        }
    }

    @Test func workBeforeTheServerOrAfterItStoppedIsRefusedClearly() async throws {
        let app = Application(configuration: configuration())
        await #expect(throws: ExecutorsNotRunningError.self) { try await app.executors.run { 1 } }
        try await app.test { _ in }
        do {
            _ = try await app.executors.run("reports") { 1 }
            Issue.record("a stopped executor ran work")
        } catch let error as RejectedExecutionError {
            #expect(error.reason == .shutdown)
        }
        await #expect(throws: RejectedExecutionError.self) { try await app.executors.submit { 1 }.value }
        #expect(throws: RejectedExecutionError.self) { try app.executors.launch {} }
    }

    // MARK: @Async-style services

    /// A service in the style of Spring's `@Async`: each method runs on the `reports` executor.
    struct ReportService: Sendable {
        let executor: BackExecutor

        struct Summary: Codable, Sendable {
            let thread: String
            let requestID: String?
        }

        func summary() -> Completable<Summary> {
            executor.submit { Summary(thread: ThreadTier.current.description, requestID: WorkContext.current?.requestID) }
        }

        func missing() -> Completable<Summary> {
            executor.submit { throw HTTPError(.notFound, "no such report") }
        }

        func touch() -> Completable<Void> { executor.submit {} }

        /// Waits for its cancellation (at most 10 s) and reports why it came.
        func slow(reasons: Recorder<String>, finished: Latch) -> Completable<Summary> {
            executor.submit {
                defer { finished.open() }
                let signal = WorkContext.current?.cancellation
                let cancelled = DispatchSemaphore(value: 0)
                let registration = signal?.onCancel { _ in cancelled.signal() }
                _ = cancelled.wait(timeout: .now() + 10)
                signal?.remove(registration)
                reasons.record(signal?.reason ?? "not cancelled")
                return Summary(thread: "too late", requestID: nil)
            }
        }
    }

    @Test func aServiceResultReturnedFromAHandlerRendersWhenItCompletes() async throws {
        var app = Application(configuration: configuration())
        let service = ReportService(executor: app.executors["reports"])
        app.register(TestController { routes in
            routes.get("/summary") { _ in DeferredResult(service.summary()) }
            routes.get("/missing") { _ in DeferredResult(service.missing()) }
            routes.get("/touch") { _ in DeferredResult(service.touch()) }
            routes.get("/both") { _ in
                DeferredResult(service.summary().and(service.summary()).map { "\($0.thread)+\($1.thread)" })
            }
        })
        try await app.test(.live) { client in
            let response = try await client.get("/summary", headers: ["X-Request-Id": "sum-1"])
            #expect(response.status == .ok)
            let summary = try response.decode(ReportService.Summary.self)
            #expect(summary.thread == "back:reports")
            #expect(summary.requestID == "sum-1")
            let missing = try await client.get("/missing")
            #expect(missing.status == .notFound)
            #expect(missing.header("content-type") == "application/problem+json")
            #expect(try await client.get("/touch").status == .noContent)
            #expect(try await client.get("/both").text == "back:reports+back:reports")
        }
    }

    @Test func aServiceResultPastItsTimeoutIs503ItsWorkIsCancelledAndOnCompletionRunsOnce() async throws {
        var app = Application(configuration: configuration())
        let service = ReportService(executor: app.executors["reports"])
        let reasons = Recorder<String>()
        let completions = Recorder<Int>()
        let finished = Latch()
        app.register(TestController { routes in
            routes.get("/slow") { _ in
                let result = DeferredResult(service.slow(reasons: reasons, finished: finished), timeout: .milliseconds(200))
                result.onCompletion { completions.record(1) }
                return result
            }
        })
        try await app.test(.live) { client in
            let response = try await client.get("/slow")
            #expect(response.status == .serviceUnavailable)
            // The work saw its cancellation at the timeout, not after its own 10 s.
            #expect(await finished.waitAsync(seconds: 5))
            #expect(reasons.all.count == 1)
            #expect(reasons.all.first != "not cancelled")
            // The work's late value changed nothing.
            #expect(await eventually { completions.count == 1 })
            #expect(completions.count == 1)
        }
    }

    // MARK: launch

    @Test func launchedWorkRunsAndItsErrorIsLoggedWithTheRequestIdAndCounted() async throws {
        let logs = LogRecords()
        var app = Application(configuration: configuration(), logger: logs.logger(level: .info))
        let executors = app.executors
        let ran = Recorder<String>()
        let done = Latch()
        app.register(TestController { routes in
            routes.post("/launch") { _ -> String in
                try executors.launch("reports") {
                    ran.record("\(ThreadTier.current) \(WorkContext.current?.requestID ?? "none")")
                    done.open()
                    throw Boom()
                }
                return "launched"
            }
        })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        let response = try await LiveHTTPClient.send(
            HTTPServerRequest(method: .POST, uri: "/launch", headers: ["X-Request-Id": "bg-9"]), port: port)
        #expect(response.text == "launched")
        #expect(await done.waitAsync())
        #expect(ran.all == ["back:reports bg-9"])
        let logged = await eventually { logs.all.contains { $0.message.contains("background task failed") } }
        #expect(logged)
        let line = logs.all.first { $0.message.contains("background task failed") }
        #expect(line?.level == .error)
        #expect(line?.metadata["request-id"] == .string("bg-9"))
        #expect(await eventually { server.runningBackgroundTasks == 0 })
        let metrics = server.monitor.metrics.exposition()
        #expect(metrics.contains(#"brigade_background_tasks_total{outcome="failed"} 1"#))
        try await server.shutdown(grace: .seconds(5))
    }

    @Test func shutdownWaitsForBackgroundWorkThenCancelsWhatOutlivesTheGrace() async throws {
        var app = Application(configuration: configuration())
        let executors = app.executors
        let events = Recorder<String>()
        let gate = Latch()
        let started = Latch()
        app.register(TestController { routes in
            routes.post("/finishes") { _ -> String in
                try executors.launch {
                    started.open()
                    gate.wait()
                    events.record("finished")
                }
                return "ok"
            }
        })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        _ = try await LiveHTTPClient.send(HTTPServerRequest(method: .POST, uri: "/finishes"), port: port)
        #expect(await started.waitAsync())
        let shutdown = Task {
            try await server.shutdown(grace: .seconds(10))
            events.record("stopped")
        }
        // The server waits on the background work: it stopped taking requests, but not yet
        // its executors.
        #expect(await eventually { (try? server.frontPool.execute {}) == nil })
        #expect(server.runningBackgroundTasks == 1)
        gate.open()
        try await shutdown.value
        #expect(events.all == ["finished", "stopped"])

        // Work that outlives the grace is told to stop.
        var again = Application(configuration: configuration())
        let executorsAgain = again.executors
        let reasons = Recorder<String>()
        let running = Latch()
        again.register(TestController { routes in
            routes.post("/forever") { _ -> String in
                try executorsAgain.launch {
                    let signal = WorkContext.current?.cancellation
                    let cancelled = DispatchSemaphore(value: 0)
                    let registration = signal?.onCancel { _ in cancelled.signal() }
                    running.open()
                    _ = cancelled.wait(timeout: .now() + 20)
                    signal?.remove(registration)
                    reasons.record(signal?.reason ?? "not cancelled")
                }
                return "ok"
            }
        })
        let second = try again.makeServer()
        try await second.start()
        let secondPort = try #require(second.port)
        _ = try await LiveHTTPClient.send(HTTPServerRequest(method: .POST, uri: "/forever"), port: secondPort)
        #expect(await running.waitAsync())
        try await second.shutdown(grace: .milliseconds(300))
        #expect(reasons.all == ["the server is shutting down"])
        #expect(second.runningBackgroundTasks == 0)
    }
}
