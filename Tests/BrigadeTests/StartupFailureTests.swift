import Brigade
import BrigadeTesting
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The real `hello` executable failing to start, as an operator sees it: one clear line, a
/// `sysexits` status, never a crash report.
///
/// One case at a time: a burst of concurrent process launches once crashed the test process
/// inside libdispatch's event loop (`_dispatch_event_loop_drain`, a crash reported elsewhere
/// for concurrent process spawning on Linux).
@Suite(.serialized) struct StartupFailureTests {
    /// Starts `hello` with `environment` (on 127.0.0.1, ephemeral ports unless given; an empty
    /// value unsets a variable) and waits for it to end.
    private static func failedStart(_ environment: [String: String]) async throws -> (ServerProcess.Termination, String) {
        var variables = ["SERVER_HOST": "127.0.0.1", "SERVER_PORT": "0", "MANAGEMENT_PORT": "0", "LOG_LEVEL": "info"]
        variables.merge(environment) { $1 }
        variables = variables.filter { !$0.value.isEmpty }
        let hello = try ServerProcess(executable: try ServerProcess.built("hello"), environment: variables, inheritEnvironment: false)
        defer { hello.kill() }
        let termination = try await hello.termination(timeout: .seconds(10))
        return (termination, hello.log)
    }

    /// What every start-up failure must look like.
    private static func expectClean(
        _ termination: ServerProcess.Termination, _ log: String, status: Int32, mentions: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(termination == .exited(status), "\(termination); output:\n\(log)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(log.contains(text), "the output does not mention '\(text)':\n\(log)", sourceLocation: sourceLocation)
        }
        #expect(!log.contains("Fatal error"), "\(log)", sourceLocation: sourceLocation)
        #expect(!log.contains("Backtrac") && !log.contains("Program crashed"), "\(log)", sourceLocation: sourceLocation)
        let lines = log.split(separator: "\n")
        #expect(lines.count <= 3, "\(lines.count) lines:\n\(log)", sourceLocation: sourceLocation)
        #expect(lines.filter { $0.contains(" critical ") }.count == 1, "\(log)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        ("FRONT_MAX_THREADS", "abc", "front.max-threads"),
        ("FRONT_MAX_THREADS", "0", "front.max-threads"),
        ("BACK_QUEUE", "-5", "back.queue"),
        ("ASYNC_TIMEOUT", "soon", "async.timeout"),
        ("SERVER_PORT", "70000", "server.port"),
    ])
    func anInvalidValueNamesItsKeyAndExits78(variable: String, value: String, key: String) async throws {
        let (termination, log) = try await Self.failedStart([variable: value])
        Self.expectClean(termination, log, status: 78, mentions: [key, variable, value])
    }

    @Test func aMainPortInUseNamesThePortAndItsKey() async throws {
        let taken = try await TakenPort.open()
        defer { taken.close() }
        let (termination, log) = try await Self.failedStart(["SERVER_PORT": "\(taken.port)"])
        Self.expectClean(termination, log, status: 69, mentions: ["port \(taken.port)", "server.port", "already in use", "SERVER_PORT"])
    }

    @Test func aManagementPortInUseNamesThePortAndItsKey() async throws {
        let taken = try await TakenPort.open()
        defer { taken.close() }
        let (termination, log) = try await Self.failedStart(["MANAGEMENT_PORT": "\(taken.port)"])
        Self.expectClean(termination, log, status: 69, mentions: ["management port \(taken.port)", "management.port", "already in use"])
    }

    @Test func theDefaultManagementPortTakenByANeighbourSaysSo() async throws {
        // Two instances on neighbouring ports: the first one's management port (main + 1) is
        // the second one's main port.
        let taken = try await TakenPort.open()
        defer { taken.close() }
        let (termination, log) = try await Self.failedStart(["SERVER_PORT": "\(taken.port - 1)", "MANAGEMENT_PORT": ""])
        if log.contains("port \(taken.port - 1) (server.port) is already in use") { return }  // the port below was taken too
        Self.expectClean(termination, log, status: 69, mentions: ["management port \(taken.port)", "by default server.port + 1"])
    }

    @Test func aMisspeltKeyIsWarnedAboutWithTheNearestOne() async throws {
        let hello = try ServerProcess(
            executable: try ServerProcess.built("hello"),
            arguments: ["--back-max-thread", "4"],
            environment: ["SERVER_HOST": "127.0.0.1", "SERVER_PORT": "0", "MANAGEMENT_PORT": "0", "FRONT_MAX_THREAD": "4"],
            inheritEnvironment: false)
        defer { hello.kill() }
        _ = try await hello.line(containing: "hello is ready")
        #expect(hello.log.contains("FRONT_MAX_THREAD (environment variable) is not used"))
        #expect(hello.log.contains("did you mean front.max-threads (FRONT_MAX_THREADS)?"))
        #expect(hello.log.contains("--back-max-thread (argument) is not used"))
        #expect(hello.log.contains("did you mean back.max-threads"))
        hello.signal(SIGTERM)
        #expect(try await hello.termination(timeout: .seconds(10)) == .exited(0))
    }

    @Test func sigintDuringServiceStopsCleanly() async throws {
        let hello = try ServerProcess(
            executable: try ServerProcess.built("hello"),
            environment: ["SERVER_HOST": "127.0.0.1", "SERVER_PORT": "0", "MANAGEMENT_PORT": "0"], inheritEnvironment: false)
        defer { hello.kill() }
        _ = try await hello.line(containing: "hello is ready")
        hello.signal(SIGINT)
        #expect(try await hello.termination(timeout: .seconds(10)) == .exited(0))
        #expect(hello.log.contains("stopped"))
    }
}

/// A port some other socket listens on, for the duration of a test.
struct TakenPort {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup

    static func open() async throws -> TakenPort {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw ChannelError.unknownLocalAddress }
        return TakenPort(port: port, channel: channel, group: group)
    }

    func close() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }
}
