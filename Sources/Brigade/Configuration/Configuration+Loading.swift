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
                rejectionPolicy: try keys.rejectionPolicy("\(prefix).rejection-policy") ?? .abort)
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
                serverName: keys.string("server.name") ?? defaults.serverName),
            front: FrontPool(
                maxThreads: try keys.int("front.max-threads") ?? front.maxThreads,
                minSpareThreads: try keys.int("front.min-spare-threads") ?? front.minSpareThreads,
                acceptQueue: try keys.int("front.accept-queue") ?? front.acceptQueue,
                keepAlive: try keys.duration("front.keep-alive") ?? front.keepAlive),
            back: BackPool(
                coreThreads: try keys.int("back.core-threads") ?? back.coreThreads,
                maxThreads: try keys.int("back.max-threads") ?? back.maxThreads,
                queueCapacity: try keys.int("back.queue") ?? back.queueCapacity,
                keepAlive: try keys.duration("back.keep-alive") ?? back.keepAlive,
                rejectionPolicy: try keys.rejectionPolicy("back.rejection-policy") ?? back.rejectionPolicy),
            executors: executors,
            asyncTimeout: try keys.duration("async.timeout") ?? .seconds(30),
            logLevel: try keys.logLevel("log.level") ?? .info,
            reader: reader)
        try validate()
    }
}

/// Typed reads of configuration keys with errors that name the key.
///
/// Values are read as strings and parsed here, so the same text works from the environment,
/// the command line and the JSON file.
public struct ConfigKeys: Sendable {
    /// The reader values come from.
    public let reader: ConfigReader

    /// Wraps a reader.
    public init(reader: ConfigReader) { self.reader = reader }

    /// The raw text of a key, if set (JSON numbers and booleans are given as text).
    public func string(_ key: String) -> String? {
        if let text = reader.string(forKey: ConfigKey(key)) { return text }
        if let number = reader.int(forKey: ConfigKey(key)) { return String(number) }
        if let number = reader.double(forKey: ConfigKey(key)) { return String(number) }
        if let flag = reader.bool(forKey: ConfigKey(key)) { return String(flag) }
        return nil
    }

    /// An integer key.
    /// - Throws: ``ConfigurationError`` when set but not an integer.
    public func int(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = string(key)?.trimmingCharacters(in: .whitespaces) else { return nil }
        guard let value = Int(text) else { throw ConfigurationError("\(key) must be an integer, got '\(text)'") }
        return value
    }

    /// A boolean key (`true`/`false`/`1`/`0`/`yes`/`no`).
    /// - Throws: ``ConfigurationError`` when set but not a boolean.
    public func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let text = string(key) else { return nil }
        guard let value = Bool(parameter: text.trimmingCharacters(in: .whitespaces)) else {
            throw ConfigurationError("\(key) must be true or false, got '\(text)'")
        }
        return value
    }

    /// A duration key: `250ms`, `30s`, `5m`, `1h`; a bare number is milliseconds.
    /// - Throws: ``ConfigurationError`` when set but not a duration.
    public func duration(_ key: String) throws(ConfigurationError) -> Duration? {
        guard let text = string(key)?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        let units: [(String, Double)] = [("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number >= 0, number.isFinite {
                return .milliseconds(Int64(number * seconds * 1000))
            }
        }
        if let milliseconds = Int64(text), milliseconds >= 0 { return .milliseconds(milliseconds) }
        throw ConfigurationError("\(key) must be a duration such as 250ms, 30s or 5m, got '\(text)'")
    }

    /// A size key: `8192`, `8KB`/`8KiB`, `2MB`/`2MiB`.
    /// - Throws: ``ConfigurationError`` when set but not a size.
    public func bytes(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = string(key)?.trimmingCharacters(in: .whitespaces).uppercased() else { return nil }
        let units: [(String, Int)] = [("KIB", 1024), ("MIB", 1024 * 1024), ("KB", 1024), ("MB", 1024 * 1024), ("K", 1024), ("M", 1024 * 1024), ("B", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Int(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number >= 0 { return number * factor }
        }
        if let number = Int(text), number >= 0 { return number }
        throw ConfigurationError("\(key) must be a size such as 8192, 8KB or 2MB, got '\(text)'")
    }

    /// A rejection policy key (`abort` or `caller-runs`).
    /// - Throws: ``ConfigurationError`` when set but not a policy.
    public func rejectionPolicy(_ key: String) throws(ConfigurationError) -> RejectionPolicy? {
        guard let text = string(key) else { return nil }
        guard let policy = RejectionPolicy(rawValue: text.lowercased()) else {
            throw ConfigurationError("\(key) must be abort or caller-runs, got '\(text)'")
        }
        return policy
    }

    /// A log level key.
    /// - Throws: ``ConfigurationError`` when set but not a level.
    public func logLevel(_ key: String) throws(ConfigurationError) -> Logger.Level? {
        guard let text = string(key) else { return nil }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError("\(key) must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        return level
    }
}

/// Finds the named executors the environment and the command line mention, since a
/// configuration reader cannot list keys: `EXECUTORS_REPORTS_MAX_THREADS` and
/// `--executors-reports-max-threads` both declare `reports`.
enum ExecutorNames {
    static let suffixes = ["core-threads", "max-threads", "queue", "keep-alive", "rejection-policy"]

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
