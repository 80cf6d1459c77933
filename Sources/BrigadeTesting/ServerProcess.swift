import Foundation

/// An executable — an application's server — run as a child process, its output captured
/// and awaitable, for end-to-end tests of what an operator sees: start-up lines, failures,
/// exit statuses, signals.
///
/// ```swift
/// let server = try ServerProcess(executable: ServerProcess.built("hello"), environment: ["SERVER_PORT": "0"])
/// defer { server.kill() }
/// _ = try await server.line(containing: "is ready")
/// server.signal(SIGTERM)
/// #expect(try await server.termination(timeout: .seconds(10)) == .exited(0))
/// ```
public final class ServerProcess: Sendable {
    /// How the process ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal killed it (a crash: `SIGILL`, `SIGSEGV`, `SIGABRT`; or a kill).
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let status): "exit status \(status)"
            case .signalled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// The child's process id.
    public let pid: Int32
    private let process: Process
    private let output = Watched("")
    private let outputClosed = Watched(false)
    private let ended = Watched<Termination?>(nil)

    /// Starts `executable`.
    /// - Parameters:
    ///   - executable: The program.
    ///   - arguments: Its arguments.
    ///   - environment: Variables added to (or replacing) this process's environment.
    ///   - inheritEnvironment: Whether to start from this process's environment (default) or
    ///     from `PATH` and `HOME` alone.
    ///   - workingDirectory: Where it runs; default this process's working directory.
    public init(
        executable: URL, arguments: [String] = [], environment: [String: String] = [:],
        inheritEnvironment: Bool = true, workingDirectory: URL? = nil
    ) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment
        if !inheritEnvironment { variables = variables.filter { $0.key == "PATH" || $0.key == "HOME" } }
        variables.merge(environment) { $1 }
        process.environment = variables
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = self.output
        let outputClosed = self.outputClosed
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                outputClosed.update { $0 = true }
            } else {
                output.update { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        let ended = self.ended
        process.terminationHandler = { process in
            let termination: Termination =
                process.terminationReason == .exit ? .exited(process.terminationStatus) : .signalled(process.terminationStatus)
            ended.update { $0 = termination }
        }
        try process.run()
        self.process = process
        self.pid = process.processIdentifier
    }

    /// The executable named `product` that SwiftPM built beside the running test bundle
    /// (`swift build --build-tests` builds every product, the examples included).
    /// - Throws: When there is none.
    public static func built(_ product: String) throws -> URL {
        var folders: [URL] = []
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if me.path != "/proc/self/exe" { folders.append(me.deletingLastPathComponent()) }
        if let bundle = Bundle.main.executableURL { folders.append(bundle.deletingLastPathComponent()) }
        folders.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug"))
        for folder in folders {
            let candidate = folder.appendingPathComponent(product)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw TimedOut.NotFound(description: "no '\(product)' executable in \(folders.map(\.path)); run `swift build --build-tests`")
    }

    /// Everything the process wrote so far, standard output and error together.
    public var log: String { output.value }

    /// Waits for an output line containing `text` and returns it.
    /// - Throws: ``TimedOut`` after `timeout` (the process may have ended without it).
    public func line(containing text: String, timeout: Duration = .seconds(30)) async throws -> String {
        let log = try await output.wait(timeout: timeout, "a line containing '\(text)'") { $0.contains(text) }
        return log.split(separator: "\n").first { $0.contains(text) }.map(String.init) ?? text
    }

    /// Waits for the process to end.
    /// - Throws: ``TimedOut`` after `timeout`.
    public func termination(timeout: Duration) async throws -> Termination {
        let ended = try await self.ended.wait(timeout: timeout, "the process to end") { $0 != nil }
        guard let ended else { throw TimedOut(what: "the process to end", after: timeout) }
        // The last output may trail the exit by a moment: wait for the pipe to be drained (a
        // child the process left behind may hold it open: then give up after a second).
        _ = try? await outputClosed.wait(timeout: .seconds(1), "the output's end") { $0 }
        return ended
    }

    /// Sends `signal` to the process.
    public func signal(_ signal: Int32) {
        if process.isRunning { Foundation.kill(pid, signal) }
    }

    /// Kills the process (SIGKILL) if it still runs: for a test that failed half-way.
    public func kill() {
        if process.isRunning { Foundation.kill(pid, SIGKILL) }
    }
}

extension TimedOut {
    /// An executable that is not there.
    struct NotFound: Error, CustomStringConvertible {
        let description: String
    }
}
