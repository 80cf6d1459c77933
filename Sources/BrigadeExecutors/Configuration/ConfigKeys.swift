import Configuration
import Foundation
import Logging

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
        Self.noteRead(key)
        if let text = reader.string(forKey: ConfigKey(key)) { return text }
        if let number = reader.int(forKey: ConfigKey(key)) { return String(number) }
        if let number = reader.double(forKey: ConfigKey(key)) { return String(number) }
        if let flag = reader.bool(forKey: ConfigKey(key)) { return String(flag) }
        // A command-line value with commas (`--migrations-locations a,b`) is a list to the
        // argument parser: the text is its items joined again.
        if let items = reader.stringArray(forKey: ConfigKey(key)), !items.isEmpty { return items.joined(separator: ",") }
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
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError("\(key) must be true or false, got '\(text)'")
        }
    }

    /// An optional duration key where `off`/`none`/`0` mean "never" (a timeout that can be
    /// switched off); `.some(nil)` when switched off, `nil` when not set.
    /// - Throws: ``ConfigurationError`` when set but not a duration.
    public func optionalDuration(_ key: String) throws(ConfigurationError) -> Duration?? {
        guard let text = string(key)?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        if ["off", "none", "never", "0"].contains(text) { return .some(nil) }
        return .some(try duration(key))
    }

    /// The longest duration a key may give: `Int64.max` nanoseconds, about 292 years, so that
    /// every configured duration converts exactly to the nanoseconds timers count in.
    public static let maximumDuration = Duration.nanoseconds(Int64.max)

    /// A duration key: `250ms`, `30s`, `5m`, `1h`; a bare number is milliseconds.
    /// - Throws: ``ConfigurationError`` when set but not a duration, or longer than
    ///   ``maximumDuration``.
    public func duration(_ key: String) throws(ConfigurationError) -> Duration? {
        guard let text = string(key)?.trimmingCharacters(in: .whitespaces).lowercased() else { return nil }
        let units: [(String, Double)] = [("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var milliseconds: Double?
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number >= 0, number.isFinite {
                milliseconds = number * seconds * 1000
                break
            }
        }
        if milliseconds == nil, let number = Int64(text), number >= 0 { milliseconds = Double(number) }
        guard let milliseconds, milliseconds.isFinite else {
            throw ConfigurationError("\(key) must be a duration such as 250ms, 30s or 5m, got '\(text)'")
        }
        // To the nearest nanosecond (`2.3s` is 2,300 ms, not 2,299.999…), compared as a Double
        // before the conversion to an integer, which would trap past Int64.max.
        let nanoseconds = (milliseconds * 1e6).rounded()
        guard nanoseconds < Double(Int64.max) else {
            throw ConfigurationError("\(key) is too long: at most 292 years (about 2,562,047 h), got '\(text)'")
        }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// A size key: `8192`, `8KB`/`8KiB`, `2MB`/`2MiB`.
    /// - Throws: ``ConfigurationError`` when set but not a size.
    public func bytes(_ key: String) throws(ConfigurationError) -> Int? {
        guard let text = string(key)?.trimmingCharacters(in: .whitespaces).uppercased() else { return nil }
        let units: [(String, Int)] = [("KIB", 1024), ("MIB", 1024 * 1024), ("KB", 1024), ("MB", 1024 * 1024), ("K", 1024), ("M", 1024 * 1024), ("B", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Int(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number >= 0 {
                let (size, overflow) = number.multipliedReportingOverflow(by: factor)
                if overflow { throw ConfigurationError("\(key) is too large, got '\(text)'") }
                return size
            }
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

    /// A pool's sizing from `<prefix>.sizing` (`adaptive` or `eager`) and
    /// `<prefix>.parallelism` (adaptive pools: runnable threads; default the CPUs this process
    /// may use). A parallelism alone means adaptive.
    /// - Parameters:
    ///   - prefix: The pool's keys (`front`, `back`, `executors.reports`).
    ///   - defaultSizing: The sizing when neither key is set.
    /// - Throws: ``ConfigurationError`` for another word or a parallelism below 1.
    public func poolSizing(_ prefix: String, default defaultSizing: PoolSizing) throws(ConfigurationError) -> PoolSizing {
        let parallelism = try int("\(prefix).parallelism")
        if let parallelism, parallelism < 1 {
            throw ConfigurationError("\(prefix).parallelism must be at least 1, got \(parallelism)")
        }
        guard let text = string("\(prefix).sizing") else {
            if let parallelism { return .adaptive(parallelism: parallelism) }
            return defaultSizing
        }
        switch text.lowercased() {
        case "adaptive":
            if let parallelism { return .adaptive(parallelism: parallelism) }
            if case .adaptive = defaultSizing { return defaultSizing }
            return .adaptive
        case "eager":
            return .eager
        default:
            throw ConfigurationError("\(prefix).sizing must be adaptive or eager, got '\(text)'")
        }
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
