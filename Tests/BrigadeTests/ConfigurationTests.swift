import Brigade
import BrigadeTesting
import Foundation
import NIOCore
import Testing

/// `Configuration.load`: command line over environment over file over defaults.
@Suite struct ConfigurationTests {
    let program = ["brigade-test"]

    @Test func defaultsWhenNothingIsSet() async throws {
        let configuration = try await Configuration.load(arguments: program, environment: [:])
        #expect(configuration.front.maxThreads == 200)
        #expect(configuration.front.minSpareThreads == 10)
        #expect(configuration.front.acceptQueue == 8192)
        #expect(configuration.front.sizing == .adaptive(parallelism: CPUSet.available))
        #expect(configuration.back.sizing == .eager)
        #expect(configuration.front.keepAlive == .seconds(60))
        #expect(configuration.server.port == 8080)
        #expect(configuration.server.host == "0.0.0.0")
        #expect(configuration.server.maxHeaderSize == 8 * 1024)
        #expect(configuration.server.maxBodySize == 2 * 1024 * 1024)
        #expect(configuration.server.idleTimeout == .seconds(20))
        #expect(configuration.server.maxConnections == 8192)
        #expect(configuration.server.eventLoops == CPUSet.available)
        #expect(configuration.logLevel == .info)
    }

    @Test func poolSizingKeys() async throws {
        let set = try await Configuration.load(
            arguments: program,
            environment: ["FRONT_SIZING": "eager", "BACK_SIZING": "adaptive", "BACK_PARALLELISM": "3", "EXECUTORS_REPORTS_PARALLELISM": "2"])
        #expect(set.front.sizing == .eager)
        #expect(set.back.sizing == .adaptive(parallelism: 3))
        #expect(set.executors["reports"]?.sizing == .adaptive(parallelism: 2))
        let parallelismAlone = try await Configuration.load(arguments: program + ["--front-parallelism", "4"], environment: [:])
        #expect(parallelismAlone.front.sizing == .adaptive(parallelism: 4))
        await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["FRONT_SIZING": "elastic"])
        }
        await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["FRONT_PARALLELISM": "0"])
        }
    }

    @Test func environmentVariablesAreRead() async throws {
        let configuration = try await Configuration.load(
            arguments: program, environment: ["FRONT_MAX_THREADS": "8", "SERVER_PORT": "9000", "SERVER_MAX_BODY_SIZE": "4MB"])
        #expect(configuration.front.maxThreads == 8)
        #expect(configuration.server.port == 9000)
        #expect(configuration.server.maxBodySize == 4 * 1024 * 1024)
    }

    @Test func commandLineArgumentWinsOverEnvironment() async throws {
        let configuration = try await Configuration.load(
            arguments: program + ["--front-max-threads", "5"], environment: ["FRONT_MAX_THREADS": "8"])
        #expect(configuration.front.maxThreads == 5)
    }

    @Test func jsonFileNamedByConfigFileIsRead() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-config-\(UUID().uuidString).json")
        try Data(#"{"front": {"max-threads": 7, "accept-queue": 3}, "server": {"port": 9100, "idle-timeout": "5s"}}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let configuration = try await Configuration.load(
            arguments: program, environment: ["CONFIG_FILE": url.path, "SERVER_PORT": "9200"])
        #expect(configuration.front.maxThreads == 7)
        #expect(configuration.front.acceptQueue == 3)
        #expect(configuration.server.idleTimeout == .seconds(5))
        #expect(configuration.server.port == 9200, "the environment wins over the file")
    }

    @Test func invalidValueThrowsConfigurationErrorNamingTheKey() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["FRONT_MAX_THREADS": "abc"])
        }
        #expect(error?.message.contains("front.max-threads") == true, "\(String(describing: error))")
    }

    @Test func outOfRangeValueThrowsConfigurationError() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["SERVER_PORT": "70000"])
        }
        #expect(error?.message.contains("server.port") == true)
    }

    @Test func durationsTakeUnits() async throws {
        let configuration = try await Configuration.load(
            arguments: program, environment: ["SERVER_IDLE_TIMEOUT": "250ms", "FRONT_KEEP_ALIVE": "30s"])
        #expect(configuration.server.idleTimeout == .milliseconds(250))
        #expect(configuration.front.keepAlive == .seconds(30))
    }

    @Test(arguments: ["100000000h", "1e30s", "9223372036854775807", "300000000000s"])
    func durationTooLongToCountInNanosecondsIsRejectedNamingTheKey(_ text: String) async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["SERVER_IDLE_TIMEOUT": text])
        }
        #expect(error?.message.contains("server.idle-timeout") == true, "\(String(describing: error))")
        #expect(error?.message.contains("292 years") == true, "\(String(describing: error))")
    }

    @Test func sizeTooLargeForAnIntegerIsRejectedNamingTheKey() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["SERVER_MAX_BODY_SIZE": "9223372036854775807MB"])
        }
        #expect(error?.message.contains("server.max-body-size") == true, "\(String(describing: error))")
    }

    @Test func fractionalDurationsAreExact() async throws {
        let configuration = try await Configuration.load(
            arguments: program, environment: ["SERVER_IDLE_TIMEOUT": "2.3s", "FRONT_KEEP_ALIVE": "0.5ms"])
        #expect(configuration.server.idleTimeout == .milliseconds(2300))
        #expect(configuration.front.keepAlive == .microseconds(500))
    }

    @Test func theLongestDurationAcceptedServesWithoutTrapping() async throws {
        // 2,500,000 h is 9.0e18 ns: under Int64.max (9.22e18), so accepted, and NIO's timers
        // saturate the deadline instead of overflowing.
        var configuration = try await Configuration.load(arguments: program, environment: ["SERVER_IDLE_TIMEOUT": "2500000h"])
        #expect(configuration.server.idleTimeout == .seconds(9_000_000_000))
        configuration.server.host = "127.0.0.1"
        configuration.server.port = 0
        configuration.server.eventLoops = 1
        configuration.front = .init(maxThreads: 2, minSpareThreads: 1, acceptQueue: 16)
        configuration.back = .init(coreThreads: 0, maxThreads: 2, queueCapacity: 10)
        configuration.management.enabled = false
        var app = Application(configuration: configuration)
        app.register(RoutesController { routes in routes.get("/hello") { _ in "hi" } })
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try await connection.responses(1).map(\.status) == [200])
            await connection.close()
        }
    }

    @Test func bodyLimitsHaveDefaultsAndAreRead() async throws {
        let defaults = try await Configuration.load(arguments: program, environment: [:])
        #expect(defaults.server.bodyTimeout == .seconds(60))
        #expect(defaults.server.minBodyRate == 240)
        #expect(defaults.server.minBodyRateGrace == .seconds(5))
        let configured = try await Configuration.load(
            arguments: program,
            environment: ["SERVER_BODY_TIMEOUT": "2m", "SERVER_MIN_BODY_RATE": "1KB", "SERVER_MIN_BODY_RATE_GRACE": "2s"])
        #expect(configured.server.bodyTimeout == .seconds(120))
        #expect(configured.server.minBodyRate == 1024)
        #expect(configured.server.minBodyRateGrace == .seconds(2))
        let off = try await Configuration.load(
            arguments: program, environment: ["SERVER_BODY_TIMEOUT": "off", "SERVER_MIN_BODY_RATE": "0"])
        #expect(off.server.bodyTimeout == nil)
        #expect(off.server.minBodyRate == 0)
    }

    @Test func invalidBodyLimitsNameTheKey() async throws {
        for (variable, key) in [("SERVER_BODY_TIMEOUT", "server.body-timeout"), ("SERVER_MIN_BODY_RATE", "server.min-body-rate"),
                                ("SERVER_MIN_BODY_RATE_GRACE", "server.min-body-rate-grace")] {
            let error = await #expect(throws: ConfigurationError.self) {
                try await Configuration.load(arguments: program, environment: [variable: "-5"])
            }
            #expect(error?.message.contains(key) == true, "\(String(describing: error))")
        }
    }

    @Test func invalidDurationNamesTheKey() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["SERVER_IDLE_TIMEOUT": "soon"])
        }
        #expect(error?.message.contains("server.idle-timeout") == true)
    }

    @Test func defaultInitialiserDoesNotTrap() async {
        // `Configuration()` once trapped on an empty provider list; it runs in a child
        // process so a regression fails this test instead of the whole run.
        await #expect(processExitsWith: .success) {
            _ = Configuration()
        }
    }

    @Test func readerBuiltDefaultsMatchTheDocumentedOnes() throws {
        let configuration = try Configuration(reader: emptyConfigReader)
        #expect(configuration.front.maxThreads == 200)
        #expect(configuration.front.minSpareThreads == 10)
        #expect(configuration.front.acceptQueue == 8192)
        #expect(configuration.front.sizing == .adaptive(parallelism: CPUSet.available))
        #expect(configuration.server.port == 8080)
        #expect(configuration.server.maxHeaderSize == 8192)
    }

    @Test func managementKeysAndInstances() async throws {
        let defaults = try await Configuration.load(arguments: program, environment: [:])
        #expect(defaults.management.enabled)
        #expect(defaults.management.host == "127.0.0.1")
        #expect(defaults.management.port == nil)
        #expect(defaults.management.sampleInterval == .seconds(1))
        #expect(defaults.management.adviceWindow == .seconds(60))
        #expect(defaults.management.headroom == 0.2)
        #expect(defaults.management.frontBlockingThreshold == .milliseconds(100))
        #expect(defaults.instances == 1)
        let configured = try await Configuration.load(
            arguments: program + ["--management-port", "9101"],
            environment: [
                "MANAGEMENT_HOST": "0.0.0.0", "MANAGEMENT_ADVICE_WINDOW": "30s", "MANAGEMENT_HEADROOM": "0.5",
                "MANAGEMENT_SATURATION_THRESHOLD": "2s", "INSTANCES": "3", "MANAGEMENT_ENABLED": "false",
            ])
        #expect(configured.management.port == 9101)
        #expect(configured.management.host == "0.0.0.0")
        #expect(configured.management.adviceWindow == .seconds(30))
        #expect(configured.management.headroom == 0.5)
        #expect(configured.management.saturationThreshold == .seconds(2))
        #expect(!configured.management.enabled)
        #expect(configured.instances == 3)
        await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["MANAGEMENT_HEADROOM": "lots"])
        }
        await #expect(throws: ConfigurationError.self) {
            try await Configuration.load(arguments: program, environment: ["INSTANCES": "0"])
        }
    }
}
