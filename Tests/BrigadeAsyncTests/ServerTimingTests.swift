import Brigade
import BrigadeTesting
import Foundation
import NIOHTTP1
import Testing

/// The `Server-Timing` header: where each kind of request spent its time.
///
/// Timings are asserted from below (a 50 ms block takes at least 50 ms) and against each
/// other, never with tight upper bounds a loaded two-core machine could break.
@Suite struct ServerTimingTests {
    static let knownNames: Set<String> = ["front-queue", "front", "back-queue", "back", "async", "render", "total"]

    /// Answers of every kind: routes that block, hand off, defer, fail.
    func app(_ configuration: Configuration = testConfiguration()) -> Application {
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/hello") { _ in "hello" }
            routes.get("/block") { _ in
                Thread.sleep(forTimeInterval: 0.05)  // on a front thread: an OS thread, not Swift's pool
                return "blocked"
            }
            routes.get("/callable") { _ in
                Callable { () -> String in
                    Thread.sleep(forTimeInterval: 0.1)
                    return "called"
                }
            }
            routes.get("/deferred") { _ in
                let result = DeferredResult<String>()
                Scheduler.shared.schedule(after: .milliseconds(100)) { result.setResult("deferred") }
                return result
            }
            routes.get("/async") { _ async throws -> String in
                try await Task.sleep(for: .milliseconds(100))
                return "awaited"
            }
            routes.get("/boom") { _ -> String in throw HTTPError(.conflict, "no") }
            routes.post("/only-post") { _ in "posted" }
        })
        return app
    }

    @Test func everyAnswerCarriesAWellFormedHeader() async throws {
        try await app().test { client throws in
            let answers: [(HTTPMethod, String, HTTPResponseStatus)] = [
                (.GET, "/hello", .ok), (.GET, "/nowhere", .notFound), (.GET, "/only-post", .methodNotAllowed),
                (.OPTIONS, "/only-post", .noContent), (.GET, "/boom", .conflict), (.HEAD, "/hello", .ok),
            ]
            for (method, uri, status) in answers {
                let response = try await client.execute(method, uri)
                #expect(response.status == status, "\(method) \(uri)")
                let timing = try ParsedServerTiming(response.header("server-timing"))
                #expect(Set(timing.names).isSubset(of: Self.knownNames), "\(timing)")
                #expect(timing.names.last == "total", "\(timing)")
                #expect(timing["front"] != nil, "routing ran on a front thread: \(timing)")
                #expect(timing["back"] == nil && timing["async"] == nil, "\(method) \(uri) never left the front: \(timing)")
            }
        }
    }

    @Test func aBlockingHandlerShowsItsTimeAsFront() async throws {
        try await app().test(.live) { client throws in
            let timing = try ParsedServerTiming(try await client.get("/block").header("server-timing"))
            #expect(try #require(timing["front"]) >= 50, "\(timing)")
            #expect(timing["back-queue"] == nil && timing["back"] == nil && timing["async"] == nil, "\(timing)")
        }
    }

    @Test func aCallableShowsItsTimeAsBackAndLeavesTheFrontAtOnce() async throws {
        try await app().test(.live) { client throws in
            let response = try await client.get("/callable")
            #expect(response.text == "called")
            let timing = try ParsedServerTiming(response.header("server-timing"))
            #expect(try #require(timing["back"]) >= 100, "\(timing)")
            #expect(timing["back-queue"] != nil, "it waited, however briefly, for a back thread: \(timing)")
            #expect(try #require(timing["front"]) < 50, "the handler returned at once: \(timing)")
            #expect(timing["async"] == nil, "\(timing)")
        }
    }

    @Test(arguments: ["/deferred", "/async"])
    func aDeferredResultOrAsyncHandlerShowsItsWaitAsAsync(_ uri: String) async throws {
        try await app().test(.live) { client throws in
            let response = try await client.get(uri)
            #expect(response.status == .ok)
            let timing = try ParsedServerTiming(response.header("server-timing"))
            // The wait is timed from the moment the work started, after the handler returned;
            // the deferred result's timer starts inside the handler, on the front part's clock.
            // So front + async cover the 100 ms exactly, and async holds most of it (unless
            // the front thread stalled for 50 ms between the handler's return and the start).
            let front = try #require(timing["front"]), async = try #require(timing["async"])
            #expect(front + async >= 100, "\(timing)")
            #expect(async >= 50, "\(timing)")
            #expect(timing["back-queue"] == nil && timing["back"] == nil, "\(timing)")
        }
    }

    @Test func aRequestQueuedBehindABlockedFrontThreadShowsTheWaitAsFrontQueue() async throws {
        let gate = Latch()
        let blocking = Latch()
        var configuration = testConfiguration(front: 1)
        configuration.front = .init(maxThreads: 1, minSpareThreads: 1, acceptQueue: 10)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/block") { _ in
                blocking.open()
                gate.wait()
                return "blocked"
            }
            routes.get("/quick") { _ in "quick" }
        })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        async let blocked = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/block"), port: port)
        #expect(await blocking.waitAsync())
        async let queued = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/quick"), port: port)
        // Once the second request waits in the front queue, hold the only thread 100 ms more.
        #expect(await eventually { server.frontPool.statistics.queued == 1 })
        try await Task.sleep(for: .milliseconds(100))
        gate.open()
        let blockedTiming = try ParsedServerTiming(try await blocked.header("server-timing"))
        let queuedTiming = try ParsedServerTiming(try await queued.header("server-timing"))
        try await server.shutdown(grace: .seconds(5))
        #expect(try #require(blockedTiming["front"]) >= 100, "\(blockedTiming)")
        #expect(try #require(queuedTiming["front-queue"]) >= 100, "\(queuedTiming)")
    }

    @Test(arguments: ["/hello", "/block", "/callable", "/deferred", "/async", "/nowhere"])
    func thePartsAddUpToTheTotalAndTheTotalIsWithinTheClientsLatency(_ uri: String) async throws {
        try await app().test(.live) { client throws in
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await client.get(uri)
            let latency = clock.now - start
            let timing = try ParsedServerTiming(response.header("server-timing"))
            // The parts are laps of one clock, back to back: they differ from the total only by
            // rounding each to the microsecond.
            #expect(abs(timing.sumOfParts - timing.total) <= 0.01, "\(timing)")
            let latencyMilliseconds = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
            #expect(timing.total <= latencyMilliseconds, "server \(timing.total) ms, client \(latencyMilliseconds) ms")
        }
    }

    @Test func turnedOffItIsNotSent() async throws {
        var configuration = testConfiguration()
        configuration.serverTiming = false
        try await app(configuration).test { client throws in
            #expect(try await client.get("/hello").header("server-timing") == nil)
            #expect(try await client.get("/nowhere").header("server-timing") == nil)
        }
    }

    @Test func theKeyTurnsItOff() async throws {
        #expect(try await Configuration.load(arguments: ["test"], environment: [:]).serverTiming == true)
        #expect(try await Configuration.load(arguments: ["test"], environment: ["SERVER_SERVER_TIMING": "false"]).serverTiming == false)
        #expect(try await Configuration.load(arguments: ["test", "--server-server-timing", "false"], environment: [:]).serverTiming == false)
    }

    @Test func theSaturationRefusalCarriesTheTotal() async throws {
        let gate = Latch()
        let blocking = Latch()
        var configuration = testConfiguration(front: 1)
        configuration.front = .init(maxThreads: 1, minSpareThreads: 1, acceptQueue: 0)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/block") { _ in
                blocking.open()
                gate.wait()
                return "blocked"
            }
        })
        try await app.test(.live) { client throws in
            async let blocked = client.get("/block")
            #expect(await blocking.waitAsync())
            let refused = try await client.get("/block")
            gate.open()
            #expect(try await blocked.status == .ok)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.header("x-request-id") != nil)
            let timing = try ParsedServerTiming(refused.header("server-timing"))
            #expect(timing.names.allSatisfy { ["front-queue", "total"].contains($0) }, "\(timing)")
        }
    }
}

/// A `Server-Timing` header read back, checking its form on the way: `name;dur=<ms>.<3 digits>`
/// entries separated by `, `.
struct ParsedServerTiming: CustomStringConvertible {
    let entries: [(name: String, milliseconds: Double)]
    let description: String

    init(_ header: String?, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let header = try #require(header, "no Server-Timing header", sourceLocation: sourceLocation)
        description = header
        entries = try header.components(separatedBy: ", ").map { entry in
            let parts = entry.split(separator: ";", omittingEmptySubsequences: false)
            try #require(parts.count == 2 && parts[1].hasPrefix("dur="), "malformed entry '\(entry)' in \(header)", sourceLocation: sourceLocation)
            let number = parts[1].dropFirst("dur=".count)
            let pieces = number.split(separator: ".", omittingEmptySubsequences: false)
            try #require(
                pieces.count == 2 && pieces[1].count == 3 && pieces.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) },
                "duration '\(number)' is not milliseconds with three decimals in \(header)", sourceLocation: sourceLocation)
            return (String(parts[0]), try #require(Double(number), sourceLocation: sourceLocation))
        }
    }

    var names: [String] { entries.map(\.name) }

    subscript(_ name: String) -> Double? { entries.first { $0.name == name }?.milliseconds }

    var total: Double { self["total"] ?? -1 }

    var sumOfParts: Double { entries.filter { $0.name != "total" }.reduce(0) { $0 + $1.milliseconds } }
}
