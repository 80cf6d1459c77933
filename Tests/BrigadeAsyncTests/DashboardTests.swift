@testable import Brigade
import BrigadeTesting
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The management port's dashboard in a real browser (Chromium's headless shell, which
/// `scripts/test.sh` installs): it loads without console errors, draws every pool, and its
/// numbers move under load.
///
/// Part of ``LoadTests`` (serialized, run on their own by `scripts/test.sh`): a browser and a
/// burst of requests are exactly the CPU load the timing-sensitive suites must not share.
extension LoadTests {
    @Test func theDashboardLoadsWithoutConsoleErrorsAndItsNumbersMoveUnderLoad() async throws {
        let chromium = try HeadlessChromium.require()
        let finished = Recorder<Bool>()
        let warmedUp = Latch()
        var configuration = testConfiguration(front: 4, back: 2)
        configuration.management.sampleInterval = .milliseconds(100)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/work") { _ in
                Callable { () -> String in
                    Thread.sleep(forTimeInterval: 0.02)
                    finished.record(true)
                    if finished.count >= 20 { warmedUp.open() }
                    return "done"
                }
            }
        })
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let dashboard = "http://127.0.0.1:\(try #require(client.managementPort))/"

            // Idle: every pool drawn, nothing run yet.
            let idle = try await chromium.load(dashboard)
            idle.expectHealthy()
            for pool in ["front", "back"] {
                #expect(idle.value(pool: pool, field: "size") != nil, "no card for the \(pool) pool:\n\(idle.dom)")
            }
            #expect(idle.value(pool: "back", field: "completed") == 0)
            #expect(idle.value(pool: "back", field: "active") == 0)
            #expect((idle.chart(pool: "back", name: "threads")?.points ?? 0) >= 1, "no history drawn:\n\(idle.dom)")
            // Each advice carries the report's verdict (no work yet, or still measuring).
            #expect(idle.dom.contains(#"data-pool="back" data-field="advice" data-verdict="no-work""#)
                || idle.dom.contains(#"data-pool="back" data-field="advice" data-verdict="measuring""#), "\(idle.dom)")

            // Under load: 16 clients keep 2 back threads busy until the browser is done.
            let stop = StopFlag()
            defer { stop.set() }
            let load = Task {
                try await withThrowingTaskGroup(of: [UInt].self) { group in
                    for _ in 0..<16 {
                        group.addTask {
                            var statuses: [UInt] = []
                            while !stop.isSet, statuses.count < 2000 {
                                statuses.append(try await LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/work"), port: port).status.code)
                            }
                            return statuses
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            let warm = await warmedUp.waitAsync(seconds: 30)
            let busy = try await chromium.load(dashboard)
            stop.set()
            let statuses = try await load.value
            #expect(warm, "the load never got going")
            #expect(!statuses.isEmpty && statuses.allSatisfy { $0 == 200 }, "\(Set(statuses))")

            busy.expectHealthy()
            let completed = try #require(busy.value(pool: "back", field: "completed"))
            #expect(completed >= 20, "back completed \(completed)")
            #expect(completed > idle.value(pool: "back", field: "completed") ?? .infinity)
            #expect(busy.value(pool: "back", field: "active") ?? 0 > 0, "back active under load:\n\(busy.dom)")
            #expect(busy.value(pool: "back", field: "throughput") ?? 0 > 0)
            let chart = try #require(busy.chart(pool: "back", name: "threads"))
            #expect(chart.points > 1 && chart.peak > 0, "the back pool's thread chart: \(chart)")
            #expect(busy.dom.contains(#"<tr data-route="GET /work">"#), "no row for GET /work in the routes table")
        }
    }

    /// The page served where `/pools` does not answer: it says so, and throws nothing.
    @Test func theDashboardShowsDisconnectedWhenItsEndpointFails() async throws {
        let chromium = try HeadlessChromium.require()
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in routes.get("/") { _ in Self.html(Dashboard.html) } })
        try await app.test(.live) { client in
            let page = try await chromium.load("http://127.0.0.1:\(try #require(client.port))/")
            #expect(page.console.isEmpty, "console: \(page.console)")
            #expect(page.pageErrors.isEmpty, "page errors: \(page.pageErrors)")
            #expect(page.state == "disconnected", "\(page.dom)")
        }
    }

    /// The check the dashboard tests rely on sees console errors, uncaught exceptions and
    /// rejected promises: a page with all three fails it.
    @Test func theConsoleCheckSeesAPagesErrors() async throws {
        let chromium = try HeadlessChromium.require()
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.get("/broken") { _ in
                Self.html("""
                    <!doctype html><title>broken</title><script>
                    console.error('deliberate console error');
                    setTimeout(() => { null.field; }, 100);
                    Promise.reject(new Error('deliberate rejection'));
                    </script>
                    """)
            }
        })
        try await app.test(.live) { client in
            let page = try await chromium.load("http://127.0.0.1:\(try #require(client.port))/broken")
            #expect(page.console.count == 3, "console: \(page.console)\nstderr: \(page.stderr)")
            #expect(page.console.contains { $0.contains("deliberate console error") })
            #expect(page.console.contains { $0.contains("Uncaught TypeError") })
            #expect(page.console.contains { $0.contains("deliberate rejection") })
        }
    }

    private static func html(_ page: String) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/html; charset=utf-8")
        return Response(status: .ok, headers: headers, body: ByteBuffer(string: page))
    }
}

/// Set once, read by the load's clients.
final class StopFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}

/// Chromium's headless shell, run once per page: it loads the page, lets it run for a
/// budget of virtual time (timers advance at once; time stands still while a fetch is
/// under way, so a 1 s refresh loop runs a few rounds in a fraction of a second), and prints
/// the DOM; console messages go to its log on stderr.
struct HeadlessChromium {
    let executable: String

    /// The browser, or a failed requirement that says how to get it.
    static func require() throws -> HeadlessChromium {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let found = (path.split(separator: ":").map { "\($0)/chromium-headless-shell" } + ["/usr/lib/chromium/chromium-headless-shell"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let executable = try #require(
            found, "chromium-headless-shell is not installed: run scripts/test.sh (it installs it) or apt-get install chromium-headless-shell")
        return HeadlessChromium(executable: executable)
    }

    /// What the browser showed.
    struct Page {
        /// The DOM after the budget ran out.
        let dom: String
        /// Every console message: the log lines Chromium writes for `console.*` calls, uncaught
        /// exceptions and unhandled rejections (`…:INFO:CONSOLE:12] "message", source: …`).
        let console: [String]
        /// The whole log.
        let stderr: String

        /// `#status`'s `data-state`.
        var state: String? { capture(#"id="status" data-state="([a-z]+)""#) }

        /// What the page's own error handlers listed in `#errors`.
        var pageErrors: [String] {
            guard let list = capture(#"<ul id="errors">(.*?)</ul>"#) else { return ["no #errors element"] }
            return list.matches(of: /<li>(.*?)<\/li>/).map { String($0.1) }
        }

        /// A pool's number: `<dd data-pool="back" data-field="completed" data-value="12">`.
        func value(pool: String, field: String) -> Double? {
            capture(#"data-pool="\#(pool)" data-field="\#(field)" data-value="([^"]*)""#).flatMap(Double.init)
        }

        /// A pool's chart: how many points it drew and the highest value of its main series.
        func chart(pool: String, name: String) -> (points: Int, peak: Double)? {
            let pattern = #"data-pool="\#(pool)" data-chart="\#(name)"[^>]*data-points="(\d+)" data-peak="([^"]*)""#
            guard let regex = try? Regex(pattern), let match = dom.firstMatch(of: regex),
                  let points = match.output[1].substring.flatMap({ Int($0) }),
                  let peak = match.output[2].substring.flatMap({ Double($0) }) else { return nil }
            return (points, peak)
        }

        /// No console message, no page error, and the page is live.
        func expectHealthy(sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(console.isEmpty, "console: \(console)", sourceLocation: sourceLocation)
            #expect(pageErrors.isEmpty, "page errors: \(pageErrors)", sourceLocation: sourceLocation)
            #expect(state == "live", "status \(state ?? "missing"):\n\(dom)", sourceLocation: sourceLocation)
        }

        private func capture(_ pattern: String) -> String? {
            guard let regex = try? Regex(pattern).dotMatchesNewlines(),
                  let match = dom.firstMatch(of: regex) else { return nil }
            return match.output[1].substring.map(String.init)
        }
    }

    /// Loads `url`, lets its scripts run for `virtualTimeMilliseconds`, and returns the DOM
    /// and the console; the process is killed after `timeoutSeconds` (real time).
    func load(_ url: String, virtualTimeMilliseconds: Int = 3500, timeoutSeconds: Int = 60) async throws -> Page {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("dom.html"), log = directory.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)

        let process = Process()
        // timeout(1) kills the browser's whole process group, not only the wrapper script.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=5", String(timeoutSeconds), executable]
            + (geteuid() == 0 ? ["--no-sandbox"] : [])
            + ["--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
               "--enable-logging=stderr", "--v=0",
               "--virtual-time-budget=\(virtualTimeMilliseconds)",
               "--dump-dom", url]
        process.standardInput = FileHandle.nullDevice
        let stdout = try FileHandle(forWritingTo: output), stderr = try FileHandle(forWritingTo: log)
        process.standardOutput = stdout
        process.standardError = stderr
        // Waits for the exit on Foundation's thread, never on a Swift concurrency thread.
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? stdout.close()
        try? stderr.close()
        let dom = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let messages = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw BrowserFailure(description: "chromium-headless-shell exited with \(status) (124: killed after \(timeoutSeconds) s):\n\(messages.suffix(4000))")
        }
        return Page(dom: dom, console: messages.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init), stderr: messages)
    }

    struct BrowserFailure: Error, CustomStringConvertible {
        let description: String
    }
}
