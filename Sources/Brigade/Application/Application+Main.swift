import BrigadeExecutors
import Foundation
import Logging

extension Application {
    /// Runs an application as the process: reads the ``Configuration`` (arguments,
    /// environment, the file named by `config.file`), lets `configure` build the
    /// application, serves until SIGTERM or SIGINT, shuts down gracefully, and exits.
    ///
    /// ```swift
    /// // main.swift
    /// import Brigade
    ///
    /// await Application.main { configuration in
    ///     var app = Application(configuration: configuration)
    ///     app.register(HelloController())
    ///     return app
    /// }
    /// ```
    ///
    /// A start-up failure — an invalid configuration value, a port in use, a missing
    /// migrations folder, a database that does not answer, anything `configure` throws — ends
    /// the process after one `critical` log line that names the key, port or file and what to
    /// do, with a `sysexits` status (78 configuration, 69 unavailable, 65 bad data, 77
    /// permission, 70 programming error, 1 otherwise): never a crash report. Errors that
    /// conform to ``StartupFailure`` explain themselves; others are logged as they describe
    /// themselves. A signal during start-up stops it cleanly once the current step ends
    /// (exit 0; a second signal exits at once). Configuration keys under the framework's
    /// prefixes that nothing reads are warned about, with the nearest known key.
    ///
    /// Before anything else it bounds glibc's malloc arenas to two per CPU the process may use
    /// (``MallocArenas``), unless `MALLOC_ARENA_MAX` is set.
    ///
    /// - Parameters:
    ///   - arguments: The command line (default: the process's).
    ///   - environment: The environment (default: the process's).
    ///   - configure: Builds the application from the configuration: registers controllers,
    ///     opens pools, applies migrations. Its ``afterShutdown(_:)`` actions also run when
    ///     start-up fails after it returned.
    public static func main(
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        _ configure: @escaping @Sendable (Configuration) async throws -> Application
    ) async -> Never {
        MallocArenas.bound(environment: environment)
        let status = await Launcher(arguments: arguments, environment: environment).launch(configure)
        exit(status.rawValue)
    }
}

/// What ``Application/main(arguments:environment:_:)`` does, step by step, returning the exit
/// status instead of exiting.
struct Launcher {
    let arguments: [String]
    let environment: [String: String]

    /// The program's name, for log lines: `hello is ready`.
    var name: String {
        arguments.first.map { URL(fileURLWithPath: $0).lastPathComponent }.flatMap { $0.isEmpty ? nil : $0 } ?? "brigade"
    }

    func launch(_ configure: @escaping @Sendable (Configuration) async throws -> Application) async -> ExitStatus {
        var logger = Logger(label: name)
        let signals = await SignalWatch.start(logger: logger)

        let configuration: Configuration
        do {
            configuration = try await Configuration.load(arguments: arguments, environment: environment)
        } catch {
            return report(error, logger: logger)
        }
        logger.logLevel = configuration.logLevel
        signals.logger = logger
        if let signal = signals.received {
            logger.notice("start-up interrupted", metadata: ["signal": "\(signal)"])
            return .success
        }

        let application: Application
        do {
            application = try await configure(configuration)
        } catch {
            return report(error, logger: logger)
        }
        logger = application.logger
        signals.logger = logger
        if let signal = signals.received {
            logger.notice("start-up interrupted: stopping what was started", metadata: ["signal": "\(signal)"])
            await application.runAfterShutdownActions()
            return .success
        }

        for warning in UnknownKeys(
            arguments: arguments, environment: environment, file: ConfigKeys(reader: configuration.reader).string("config.file"),
            known: ConfigKeys.keysRead
        ).warnings() {
            logger.warning("\(warning)")
        }

        let server: BrigadeServer
        do {
            server = try application.makeServer()
        } catch {
            await application.runAfterShutdownActions()
            return report(error, logger: logger)
        }
        do {
            try await server.start()
        } catch {
            try? await server.shutdown(grace: .zero)
            return report(error, logger: logger)
        }
        let port = server.port ?? configuration.server.port
        logger.info("\(name) is ready", metadata: [
            "url": "http://\(configuration.server.host):\(port)",
            "port": "\(port)",
            "management": "\(server.managementPort.map { "http://\(configuration.management.host):\($0)" } ?? "off")",
        ])

        let signal = await signals.next()
        logger.info("shutting down", metadata: ["signal": "\(signal)", "grace": "\(configuration.shutdownGrace)"])
        do {
            try await server.shutdown(grace: configuration.shutdownGrace)
        } catch {
            logger.error("shutdown failed", metadata: ["error": "\(StartupDiagnosis.oneLine(String(describing: error)))"])
            return .failure
        }
        logger.info("stopped")
        return .success
    }

    /// Logs the one line that explains why the process cannot start, and returns its status.
    func report(_ error: any Error, logger: Logger) -> ExitStatus {
        let diagnosis = Self.diagnose(error)
        logger.critical("cannot start: \(diagnosis)", metadata: ["exit-status": "\(diagnosis.exitStatus)"])
        return diagnosis.exitStatus
    }

    /// A ``StartupFailure``'s own diagnosis, or the error as it describes itself.
    static func diagnose(_ error: any Error) -> StartupDiagnosis {
        if let failure = error as? any StartupFailure { return failure.diagnosis }
        return StartupDiagnosis(
            problem: String(describing: error),
            action: "", exitStatus: .failure)
    }
}
