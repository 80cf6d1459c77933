import BrigadeExecutors
import Foundation

/// Finds configuration keys under the framework's prefixes that nothing reads — misspelt
/// ones, mostly — and the nearest key that is read (`front.max-thread` → `front.max-threads`).
///
/// A configuration reader cannot list its keys, so the sources are read again here: the
/// environment (`FRONT_MAX_THREAD`), the command line (`--front-max-thread`) and the JSON file
/// (`{"front": {"max-thread": …}}`). "Known" means read by someone in this process through
/// ``ConfigKeys`` — the framework, the database pool, the application — so a key of a
/// library the application does not use is not flagged: `database.*` keys are checked only
/// when a `database.*` key was read.
struct UnknownKeys {
    /// Prefixes whose keys are always checked: the framework's own.
    static let frameworkPrefixes = ["front", "back", "server", "management", "executors", "async", "access-log", "streams"]
    /// Prefixes checked when the process read a key under them.
    static let libraryPrefixes = ["database"]

    let arguments: [String]
    let environment: [String: String]
    /// The JSON file named by `config.file`, if any.
    let file: String?
    /// The keys read in this process.
    let known: Set<String>

    /// One supplied key that nothing reads.
    struct Finding: CustomStringConvertible, Equatable {
        /// As supplied: `FRONT_MAX_THREAD`, `--front-max-thread`, `front.max-thread`.
        let spelling: String
        /// Where: `environment variable`, `argument`, or the file's path.
        let source: String
        /// The nearest known key, if one is close.
        let suggestion: String?

        var description: String {
            let head = "configuration key \(spelling) (\(source)) is not used by the framework or the application"
            guard let suggestion else { return head + "; see the README's configuration keys" }
            return head + "; did you mean \(suggestion) (\(ConfigKeys.environmentName(of: suggestion)))?"
        }
    }

    /// The warnings to log, one line each.
    func warnings() -> [Finding] {
        let prefixes = Self.frameworkPrefixes + Self.libraryPrefixes.filter { prefix in
            known.contains { $0.hasPrefix(prefix + ".") }
        }
        let candidates = known.union(["config.file"])
        var findings: [Finding] = []
        func check(_ spelling: String, normalized: String, source: String) {
            guard let prefix = prefixes.first(where: { normalized.hasPrefix(Self.normalize($0) + "_") }) else { return }
            let keys = candidates.filter { $0.hasPrefix(prefix + ".") }
            if keys.contains(where: { Self.normalize($0) == normalized }) { return }
            if prefix == "executors", Self.isExecutorKey(normalized) { return }
            findings.append(Finding(spelling: spelling, source: source, suggestion: Self.nearest(to: normalized, among: keys, prefix: prefix)))
        }
        for variable in environment.keys.sorted() {
            check(variable, normalized: Self.normalize(variable), source: "environment variable")
        }
        for argument in arguments.dropFirst() where argument.hasPrefix("--") {
            let flag = String(argument.dropFirst(2).prefix { $0 != "=" })
            check("--" + flag, normalized: Self.normalize(flag), source: "argument")
        }
        if let file, let data = FileManager.default.contents(atPath: file),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for key in Self.flatten(object).sorted() {
                check(key, normalized: Self.normalize(key), source: file)
            }
        }
        return findings
    }

    /// Lowercase, with `.`, `-` and `_` all `_`: the forms of one key compare equal.
    static func normalize(_ text: String) -> String {
        String(text.lowercased().map { $0 == "." || $0 == "-" ? "_" : $0 })
    }

    /// `executors_reports_max_threads`: a named executor's key (the name is free).
    static func isExecutorKey(_ normalized: String) -> Bool {
        if normalized == "executors_names" { return true }
        let rest = normalized.dropFirst("executors_".count)
        return ExecutorNames.suffixes.contains { suffix in
            let tail = "_" + normalize(suffix)
            return rest.hasSuffix(tail) && rest.count > tail.count
        }
    }

    /// The known key nearest to `normalized` in edit distance, if close enough to be a typo.
    static func nearest(to normalized: String, among keys: Set<String>, prefix: String) -> String? {
        if prefix == "executors" { return nearestExecutorKey(to: normalized) }
        let scored = keys.map { ($0, distance(normalize($0), normalized)) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, normalized.count / 5) ? best.0 : nil
    }

    /// `executors_reports_max_thread` → `executors.reports.max-threads`: the name is kept, the
    /// nearest setting is suggested.
    static func nearestExecutorKey(to normalized: String) -> String? {
        let parts = normalized.dropFirst("executors_".count).split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        var best: (key: String, distance: Int)?
        for split in stride(from: parts.count - 1, to: 0, by: -1) {
            let name = parts[..<split].joined(separator: "-")
            let tail = parts[split...].joined(separator: "_")
            for suffix in ExecutorNames.suffixes {
                let d = distance(normalize(suffix), tail)
                if d < (best?.distance ?? Int.max) { best = ("executors.\(name).\(suffix)", d) }
            }
        }
        guard let best, best.distance <= 3 else { return nil }
        return best.key
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// `{"front": {"max-threads": 4}}` → `front.max-threads`.
    static func flatten(_ object: [String: Any], prefix: String = "") -> [String] {
        object.flatMap { key, value -> [String] in
            let path = prefix.isEmpty ? key : prefix + "." + key
            if let nested = value as? [String: Any] { return flatten(nested, prefix: path) }
            return [path]
        }
    }
}
