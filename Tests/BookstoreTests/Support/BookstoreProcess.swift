import Foundation
import Synchronization
import Testing

/// A `bookstore` executable started as a child process, with its log lines readable as
/// signals (`ready`, `long poll armed`), stopped by its PID.
final class BookstoreProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private struct Watcher {
        let needle: String
        let continuation: CheckedContinuation<String, any Error>
    }

    private struct Output {
        var partial = Data()
        var lines: [String] = []
        var watchers: [Watcher] = []
        var ended = false
    }

    /// The child's process id.
    let pid: Int32
    private let process: Process
    private let output = Mutex(Output())
    private let exited = DispatchSemaphore(value: 0)

    /// The `bookstore` executable SwiftPM built beside the test bundle (`swift build` and
    /// `swift test` build every product, the examples included).
    static func executable() throws -> URL {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            bundle.appendingPathComponent("bookstore"),
            URL(fileURLWithPath: TestDatabase.packageRoot).appendingPathComponent(".build/debug/bookstore"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw Failure(description: "no bookstore executable in \(candidates.map(\.path)); run `swift build --product bookstore`")
        }
        return found
    }

    /// Starts `bookstore` on 127.0.0.1 and an ephemeral port, on `databaseURL`, logging at
    /// debug level.
    init(databaseURL: String) throws {
        let process = Process()
        process.executableURL = try Self.executable()
        process.currentDirectoryURL = URL(fileURLWithPath: TestDatabase.packageRoot)
        process.arguments = [
            "--server-host", "127.0.0.1", "--server-port", "0", "--log-level", "debug",
            "--migrations-locations", TestDatabase.migrationsPath, "--database-max-size", "3", "--database-min-idle", "1",
            "--front-min-spare-threads", "2", "--back-core-threads", "2",
        ]
        var environment = ["DATABASE_URL": databaseURL]
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        self.process = process
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        pid = process.processIdentifier
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.received(data)
            if data.isEmpty { handle.readabilityHandler = nil }
        }
    }

    deinit { stop() }

    /// Waits for the "ready" line and returns the port it reports.
    func ready() async throws -> Int {
        let line = try await line(containing: "bookstore is ready")
        guard let range = line.range(of: #"port=(\d+)"#, options: .regularExpression),
              let port = Int(line[range].dropFirst("port=".count))
        else { throw Failure(description: "no port in: \(line)") }
        return port
    }

    /// The first log line containing `needle` (already printed or still to come). A 30 s
    /// limit turns a hang into a failure; it is not how the test synchronises.
    func line(containing needle: String) async throws -> String {
        try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { continuation in
                    let found = self.output.withLock { output -> Result<String, any Error>? in
                        if let line = output.lines.first(where: { $0.contains(needle) }) { return .success(line) }
                        if output.ended { return .failure(Failure(description: "the process ended without logging '\(needle)'")) }
                        output.watchers.append(Watcher(needle: needle, continuation: continuation))
                        return nil
                    }
                    if let found { continuation.resume(with: found) }
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                throw Failure(description: "no '\(needle)' within 30 s; output so far:\n\(self.log)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// Everything the process printed so far.
    var log: String { output.withLock { $0.lines.joined(separator: "\n") } }

    /// SIGTERM to the PID, then waits for it to exit (SIGKILL after 10 s). Safe to call twice.
    func stop() {
        if process.isRunning { kill(pid, SIGTERM) }
        if exited.wait(timeout: .now() + .seconds(10)) == .timedOut {
            kill(pid, SIGKILL)
            _ = exited.wait(timeout: .now() + .seconds(5))
        }
        exited.signal()  // later calls return at once
    }

    private func received(_ data: Data) {
        var resumes: [(CheckedContinuation<String, any Error>, Result<String, any Error>)] = []
        output.withLock { output in
            if data.isEmpty {
                output.ended = true
                for watcher in output.watchers {
                    resumes.append((watcher.continuation, .failure(Failure(description: "the process ended without logging '\(watcher.needle)'"))))
                }
                output.watchers.removeAll()
                return
            }
            output.partial.append(data)
            while let newline = output.partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: output.partial[output.partial.startIndex..<newline], as: UTF8.self)
                output.partial.removeSubrange(output.partial.startIndex...newline)
                output.lines.append(line)
                output.watchers.removeAll { watcher in
                    guard line.contains(watcher.needle) else { return false }
                    resumes.append((watcher.continuation, .success(line)))
                    return true
                }
            }
        }
        for (continuation, result) in resumes { continuation.resume(with: result) }
    }
}
