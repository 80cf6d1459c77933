import BrigadeExecutors
import BrigadeHTTP
import Configuration
import Foundation
import Logging
import SystemPackage

extension Configuration {
    /// Reads the configuration from command-line arguments, environment variables and, when
    /// `config.file` (`CONFIG_FILE`, `--config-file`) names one, a JSON file — earlier sources
    /// win — then validates it.
    ///
    /// ```swift
    /// let configuration = try await Configuration.load()
    /// ```
    /// - Parameters:
    ///   - arguments: The command line (default: the process's).
    ///   - environment: The environment (default: the process's).
    /// - Throws: ``ConfigurationError`` naming the key of an invalid value, or the file's error.
    public static func load(
        arguments: [String] = CommandLine.arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> Configuration {
        let environmentVariables = environment
        let argumentList = arguments
        var providers: [any ConfigProvider] = [
            CommandLineArgumentsProvider(arguments: arguments),
            EnvironmentVariablesProvider(environmentVariables: environment),
        ]
        let early = ConfigReader(providers: providers)
        if let file = early.string(forKey: "config.file"), !file.isEmpty {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
        }
        let names = ExecutorNames.discover(arguments: argumentList, environment: environmentVariables)
        return try Configuration(reader: ConfigReader(providers: providers), executorNames: names)
    }

    /// Reads every key from `reader`, with the documented defaults for missing ones.
    /// - Parameters:
    ///   - reader: Where values come from.
    ///   - executorNames: Named back executors to read (`executors.<name>.*`), besides those
    ///     listed under `executors.names` (comma-separated).
    /// - Throws: ``ConfigurationError`` naming the key of an invalid value.
    public init(reader: ConfigReader, executorNames: Set<String> = []) throws(ConfigurationError) {
        let keys = ConfigKeys(reader: reader)
        let back = BackPool()
        var names = executorNames
        for name in (keys.string("executors.names") ?? "").split(separator: ",") {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { names.insert(trimmed) }
        }
        var executors: [String: BackPool] = [:]
        for name in names.sorted() where name != "default" {
            let prefix = "executors.\(name)"
            executors[name] = BackPool(
                coreThreads: try keys.int("\(prefix).core-threads") ?? 0,
                maxThreads: try keys.int("\(prefix).max-threads") ?? 8,
                queueCapacity: try keys.int("\(prefix).queue") ?? 100,
                keepAlive: try keys.duration("\(prefix).keep-alive") ?? back.keepAlive,
                rejectionPolicy: try keys.rejectionPolicy("\(prefix).rejection-policy") ?? .abort,
                sizing: try keys.poolSizing(prefix, default: .eager))
        }
        let defaults = HTTPServer.Configuration()
        let front = FrontPool()
        self.init(
            server: HTTPServer.Configuration(
                host: keys.string("server.host") ?? defaults.host,
                port: try keys.int("server.port") ?? defaults.port,
                eventLoops: try keys.int("server.event-loops") ?? defaults.eventLoops,
                maxConnections: try keys.int("server.max-connections") ?? defaults.maxConnections,
                maxHeaderSize: try keys.bytes("server.max-header-size") ?? defaults.maxHeaderSize,
                maxBodySize: try keys.bytes("server.max-body-size") ?? defaults.maxBodySize,
                idleTimeout: try keys.duration("server.idle-timeout") ?? defaults.idleTimeout,
                backlog: try keys.int("server.backlog") ?? defaults.backlog,
                serverName: keys.string("server.name") ?? defaults.serverName,
                bodyTimeout: try keys.optionalDuration("server.body-timeout") ?? defaults.bodyTimeout,
                minBodyRate: try keys.bytes("server.min-body-rate") ?? defaults.minBodyRate,
                minBodyRateGrace: try keys.duration("server.min-body-rate-grace") ?? defaults.minBodyRateGrace),
            front: FrontPool(
                maxThreads: try keys.int("front.max-threads") ?? front.maxThreads,
                minSpareThreads: try keys.int("front.min-spare-threads") ?? front.minSpareThreads,
                acceptQueue: try keys.int("front.accept-queue") ?? front.acceptQueue,
                keepAlive: try keys.duration("front.keep-alive") ?? front.keepAlive,
                batchScheduling: try keys.bool("front.batch-scheduling") ?? front.batchScheduling,
                sizing: try keys.poolSizing("front", default: front.sizing)),
            back: BackPool(
                coreThreads: try keys.int("back.core-threads") ?? back.coreThreads,
                maxThreads: try keys.int("back.max-threads"),  // unset: it may follow the database pools
                queueCapacity: try keys.int("back.queue") ?? back.queueCapacity,
                keepAlive: try keys.duration("back.keep-alive") ?? back.keepAlive,
                rejectionPolicy: try keys.rejectionPolicy("back.rejection-policy") ?? back.rejectionPolicy,
                sizing: try keys.poolSizing("back", default: back.sizing)),
            executors: executors,
            asyncTimeout: try keys.duration("async.timeout") ?? .seconds(30),
            shutdownGrace: try keys.duration("server.shutdown-grace") ?? .seconds(30),
            logLevel: try keys.logLevel("log.level") ?? .info,
            serverTiming: try keys.bool("server.server-timing") ?? true,
            accessLog: AccessLog(
                enabled: try keys.bool("access-log.enabled") ?? false,
                format: keys.string("access-log.format") ?? AccessLog.defaultFormat),
            reader: reader)
        management = try Management(keys: keys)
        instances = try keys.int("instances") ?? 1
        shutdownDelay = try keys.duration("server.shutdown-delay") ?? .zero
        streams = Streams(
            bufferSize: try keys.bytes("streams.buffer-size") ?? Streams().bufferSize,
            writeTimeout: try keys.duration("streams.write-timeout") ?? Streams().writeTimeout)
        try validate()
    }
}

/// Finds the named executors the environment and the command line mention, since a
/// configuration reader cannot list keys: `EXECUTORS_REPORTS_MAX_THREADS` and
/// `--executors-reports-max-threads` both declare `reports`.
enum ExecutorNames {
    static let suffixes = ["core-threads", "max-threads", "queue", "keep-alive", "rejection-policy", "sizing", "parallelism"]

    static func discover(arguments: [String], environment: [String: String]) -> Set<String> {
        var names: Set<String> = []
        for variable in environment.keys where variable.hasPrefix("EXECUTORS_") {
            let rest = variable.dropFirst("EXECUTORS_".count).lowercased().replacingOccurrences(of: "_", with: "-")
            if let name = strip(rest) { names.insert(name) }
        }
        for argument in arguments where argument.hasPrefix("--executors-") {
            let flag = argument.dropFirst("--executors-".count).split(separator: "=").first.map(String.init) ?? ""
            if let name = strip(flag) { names.insert(name) }
        }
        return names
    }

    private static func strip(_ text: String) -> String? {
        for suffix in suffixes where text.hasSuffix("-" + suffix) {
            let name = String(text.dropLast(suffix.count + 1))
            return name.isEmpty ? nil : name
        }
        return nil
    }
}
