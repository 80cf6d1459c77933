import Brigade
import BrigadeTesting
import Foundation
import Testing

/// The real `slowcalls` executable under SIGTERM: graceful shutdown as an operator sees it.
@Suite struct SignalShutdownTests {
    @Test func sigtermDuringSlowDeferredRequestsAnswersEveryOneAndExitsZero() async throws {
        let server = try SlowCallsProcess.start()
        defer { server.killIfRunning() }
        let (port, managementPort) = try await server.ports()

        // A connection that has been served and is idle: the server closes it when shutdown begins.
        let probe = try await RawHTTPConnection.connect(port: port)
        try await probe.send("GET /slow/deferred?ms=0 HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try await probe.responses(1).first?.status == 200)

        var clients: [RawHTTPConnection] = []
        for _ in 0..<50 {
            let client = try await RawHTTPConnection.connect(port: port)
            try await client.send("GET /slow/deferred?ms=3000 HTTP/1.1\r\nHost: test\r\n\r\n")
            clients.append(client)
        }
        // The server's own count (no push signal crosses the process boundary: poll it).
        var pending = 0.0
        let deadline = ContinuousClock.now + .seconds(10)
        while pending < 50, ContinuousClock.now < deadline {
            pending = try await Self.pendingAsyncRequests(managementPort: managementPort)
            if pending < 50 { try await Task.sleep(for: .milliseconds(10)) }
        }
        try #require(pending == 50, "the 50 requests are pending in the server")
        let unanswered = clients.filter { $0.received.value.bytes.isEmpty }.count
        try #require(unanswered == 50, "none is answered yet when SIGTERM is sent")

        server.signal(SIGTERM)
        // Shutdown has begun once the server closes the idle probe connection; from then on a
        // new connection is refused (or, if it raced the listening socket's close, closed
        // without being served).
        try await probe.waitForClose()
        if let late = try? await RawHTTPConnection.connect(port: port) {
            try? await late.send("GET /slow/deferred?ms=0 HTTP/1.1\r\nHost: test\r\n\r\n")
            try await late.waitForClose()
            #expect(late.responses.isEmpty, "a connection made after shutdown began was served")
        }

        for client in clients {
            let response = try await client.responses(1, timeout: .seconds(15)).first
            #expect(response?.status == 200, "\(response.map(String.init(describing:)) ?? "no response")")
            #expect(response?.body.contains("\"mode\":\"deferred\"") == true)
        }
        let termination = try await server.termination(timeout: .seconds(20))
        #expect(termination.reason == .exit && termination.status == 0, "exited with \(termination); output:\n\(server.output)")
    }

    /// `brigade_async_requests_pending` from the management port's `/metrics`.
    private static func pendingAsyncRequests(managementPort: Int) async throws -> Double {
        let metrics = try await LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/metrics"), port: managementPort)
        let line = metrics.text.split(separator: "\n").first { $0.hasPrefix("brigade_async_requests_pending ") }
        return try #require(line?.split(separator: " ").last.flatMap { Double($0) })
    }
}

/// `slowcalls` as a child process on port 0 (and its management port on another), one event
/// loop, its log captured.
private final class SlowCallsProcess: Sendable {
    struct Termination: Sendable, CustomStringConvertible {
        let reason: Process.TerminationReason
        let status: Int32
        var description: String { "\(reason == .exit ? "status" : "signal") \(status)" }
    }

    private let process: Process
    private let log = Watched("")
    private let exited = Watched<Termination?>(nil)

    private init(process: Process) { self.process = process }

    /// Starts the executable `swift build --build-tests` put beside the test bundle.
    static func start() throws -> SlowCallsProcess {
        let executable = try #require(
            candidates().first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "no slowcalls executable: run `swift build --build-tests` (scripts/test.sh does)")
        let process = Process()
        process.executableURL = executable
        var environment = ProcessInfo.processInfo.environment
        environment.merge([
            "SERVER_HOST": "127.0.0.1", "SERVER_PORT": "0", "SERVER_EVENT_LOOPS": "1",
            "SERVER_SHUTDOWN_GRACE": "10s", "ASYNC_TIMEOUT": "30s", "LOG_LEVEL": "info",
            "MANAGEMENT_ENABLED": "true", "MANAGEMENT_HOST": "127.0.0.1", "MANAGEMENT_PORT": "0",
        ]) { $1 }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let server = SlowCallsProcess(process: process)
        pipe.fileHandleForReading.readabilityHandler = { [log = server.log] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                log.update { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        process.terminationHandler = { [exited = server.exited] process in
            exited.update { $0 = Termination(reason: process.terminationReason, status: process.terminationStatus) }
        }
        try process.run()
        return server
    }

    private static func candidates() -> [URL] {
        var urls: [URL] = []
        if let bundle = Bundle.main.executableURL {
            urls.append(bundle.deletingLastPathComponent().appendingPathComponent("slowcalls"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        urls.append(root.appendingPathComponent(".build/debug/slowcalls"))
        return urls
    }

    /// Everything the process wrote so far.
    var output: String { log.value }

    /// The main port and the management port, from the two `listening address=host:port` log
    /// lines (the server binds the main port first).
    func ports() async throws -> (main: Int, management: Int) {
        let output = try await log.wait(timeout: .seconds(30), "slowcalls to listen") { Self.listeningPorts(in: $0).count >= 2 }
        let ports = Self.listeningPorts(in: output)
        return (ports[0], ports[1])
    }

    static func listeningPorts(in output: String) -> [Int] {
        output.split(separator: "\n").filter { $0.hasSuffix(" listening") }.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("address=") }?.split(separator: ":").last.flatMap { Int($0) }
        }
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit.
    func termination(timeout: Duration) async throws -> Termination {
        let termination = try await exited.wait(timeout: timeout, "slowcalls to exit") { $0 != nil }
        return try #require(termination)
    }

    /// Kills the process if a failed test left it running.
    func killIfRunning() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
