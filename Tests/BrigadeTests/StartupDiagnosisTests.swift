@testable import Brigade
import BrigadeExecutors
import BrigadeHTTP
import Foundation
import Testing

/// How start-up errors explain themselves, and the check for misspelt keys.
@Suite struct StartupDiagnosisTests {
    @Test func aConfigurationErrorNamesTheKeyItStartsWith() {
        let error = ConfigurationError("front.max-threads must be at least 1, got 0")
        #expect(error.key == "front.max-threads")
        #expect(error.diagnosis.exitStatus == .configuration)
        #expect(error.diagnosis.action.contains("FRONT_MAX_THREADS"))
        #expect(error.diagnosis.action.contains("--front-max-threads"))
        #expect(ConfigurationError("instances must be at least 1, got 0").key == "instances")
        #expect(ConfigurationError("two pools are named 'front'").key == nil)
        #expect(ConfigurationError("back: max threads must be at least 1").key == nil)
        #expect(ConfigurationError(key: "x.y", "anything").key == "x.y")
    }

    @Test func aDiagnosisIsOneLine() {
        let diagnosis = StartupDiagnosis(
            problem: "connection to server failed: Connection refused\n\tIs the server running?", action: "check it", exitStatus: .unavailable)
        #expect(diagnosis.description == "connection to server failed: Connection refused Is the server running? — check it")
    }

    @Test func aPortInUseSaysWhichPortAndWhichKey() {
        let inUse = BindError(host: "0.0.0.0", port: 8080, errno: EADDRINUSE, reason: "bind")
        let main = PortUnavailableError(port: .main, bindError: inUse).diagnosis
        #expect(main.problem == "port 8080 (server.port) is already in use")
        #expect(main.action.contains("SERVER_PORT"))
        #expect(main.exitStatus == .unavailable)
        let management = PortUnavailableError(port: .management, bindError: inUse, configured: false).diagnosis
        #expect(management.problem.contains("management port 8080 (management.port, by default server.port + 1)"))
        #expect(management.action.contains("management.enabled=false"))
        let denied = PortUnavailableError(port: .main, bindError: BindError(host: "0.0.0.0", port: 80, errno: EACCES, reason: "bind"))
        #expect(denied.diagnosis.exitStatus == .permissionDenied)
        let elsewhere = PortUnavailableError(port: .main, bindError: BindError(host: "10.9.9.9", port: 80, errno: EADDRNOTAVAIL, reason: "bind"))
        #expect(elsewhere.diagnosis.action.contains("server.host"))
    }

    @Test func anErrorThatDoesNotExplainItselfIsReportedAsItDescribesItself() {
        struct Odd: Error, CustomStringConvertible { var description: String { "something odd" } }
        let diagnosis = Launcher.diagnose(Odd())
        #expect(diagnosis.problem == "something odd")
        #expect(diagnosis.exitStatus == .failure)
        #expect(Launcher.diagnose(RoutingError("bad")).exitStatus == .software)
    }

    // MARK: unknown keys

    private func findings(
        arguments: [String] = ["app"], environment: [String: String] = [:], file: String? = nil,
        known: Set<String> = ["front.max-threads", "front.accept-queue", "back.max-threads", "server.port", "server.idle-timeout"]
    ) -> [UnknownKeys.Finding] {
        UnknownKeys(arguments: arguments, environment: environment, file: file, known: known).warnings()
    }

    @Test func aMisspeltEnvironmentVariableGetsTheNearestKey() {
        let found = findings(environment: ["FRONT_MAX_THREAD": "4", "FRONT_MAX_THREADS": "4", "PATH": "/bin", "HOME": "/root"])
        #expect(found == [UnknownKeys.Finding(spelling: "FRONT_MAX_THREAD", source: "environment variable", suggestion: "front.max-threads")])
        #expect(found.first?.description.contains("did you mean front.max-threads (FRONT_MAX_THREADS)?") == true)
    }

    @Test func aMisspeltArgumentGetsTheNearestKey() {
        let found = findings(arguments: ["app", "--server-idle-timout=5s", "--server-port", "8080", "--verbose"])
        #expect(found == [UnknownKeys.Finding(spelling: "--server-idle-timout", source: "argument", suggestion: "server.idle-timeout")])
    }

    @Test func aKeyFarFromEveryKnownOneGetsNoSuggestion() {
        let found = findings(environment: ["SERVER_SOMETHING_ELSE_ENTIRELY": "1"])
        #expect(found.count == 1)
        #expect(found.first?.suggestion == nil)
    }

    @Test func misspeltKeysInTheFileAreFound() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-keys-\(UUID()).json")
        try Data(#"{"front": {"max-threads": 4, "acept-queue": 10}, "myapp": {"anything": 1}}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let found = findings(file: file.path)
        #expect(found == [UnknownKeys.Finding(spelling: "front.acept-queue", source: file.path, suggestion: "front.accept-queue")])
    }

    @Test func namedExecutorKeysAreKnownAndTheirTyposCorrected() {
        #expect(findings(environment: ["EXECUTORS_REPORTS_MAX_THREADS": "4", "EXECUTORS_NAMES": "reports"]).isEmpty)
        let found = findings(environment: ["EXECUTORS_REPORTS_MAX_THREAD": "4"])
        #expect(found.first?.suggestion == "executors.reports.max-threads")
    }

    @Test func databaseKeysAreCheckedOnlyWhenTheApplicationReadsSome() {
        #expect(findings(environment: ["DATABASE_URL": "postgres://x", "DATABASE_MAX_SIZ": "3"]).isEmpty)
        let found = findings(
            environment: ["DATABASE_URL": "postgres://x", "DATABASE_MAX_SIZ": "3"],
            known: ["database.url", "database.max-size"])
        #expect(found == [UnknownKeys.Finding(spelling: "DATABASE_MAX_SIZ", source: "environment variable", suggestion: "database.max-size")])
    }

    // MARK: the review's D7

    /// A pool the application manages, named like one of the server's own.
    private final class NamedPool: ManagedPool {
        let name: String
        init(name: String) { self.name = name }
        var kind: PoolKind { .database }
        func snapshot() -> PoolSnapshot {
            PoolSnapshot(
                name: name, kind: .database, takenAtNanoseconds: 0, size: 0, active: 0, queued: 0, coreSize: 0, maxSize: 1,
                queueCapacity: nil, completed: 0, rejected: 0, queueWait: LatencyHistogram(), service: LatencyHistogram())
        }
    }

    @Test func aServerThatCannotBeMadeLeavesNoThreadsBehind() async throws {
        var configuration = Configuration()
        configuration.executors["d7-leak"] = Configuration.BackPool(coreThreads: 3, maxThreads: 3)
        var app = Application(configuration: configuration)
        app.manage(NamedPool(name: "front"))
        #expect(throws: ConfigurationError.self) { try app.makeServer() }
        // The executor's core threads would have started (and never stopped) before the
        // duplicate name was noticed. A pool thread names itself once it runs, so a leaked one
        // shows up within moments: no event says "no thread will ever appear", so this looks
        // for up to a second (a second spent only when the code is right).
        var leaked: [String] = []
        for _ in 0..<100 where leaked.isEmpty {
            leaked = Self.threads(named: "d7-leak")
            if leaked.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(leaked.isEmpty, "\(leaked)")
    }

    /// Names of this process's threads that start with `prefix` (`/proc/self/task/*/comm`).
    static func threads(named prefix: String) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { $0.hasPrefix(prefix) }
    }
}
