/// One step of the load: `rate` requests per second for `seconds`.
struct Phase: Sendable, CustomStringConvertible {
    let rate: Int
    let seconds: Int
    var requests: Int { rate * seconds }
    var description: String { "\(rate) req/s for \(seconds) s" }
}

/// The command line: `--flag value` pairs, parsed by hand.
struct Options: Sendable {
    var host = "127.0.0.1"
    var port = 8080
    var path = "/slow/callable?ms=100"
    var phases: [Phase] = []
    /// After this long without a complete answer, a request counts as "no answer".
    var deadlineSeconds = 10
    /// Connections open at once, at most; a request that finds none free waits for one.
    var maxConnections = 2000

    static let usage = """
        usage: overload --port N [--host H] [--path /p?q] --phase RATE:SECONDS [--phase …]
                        [--deadline SECONDS] [--max-connections N]
        Sends RATE requests per second for SECONDS, phase after phase, whatever the answers
        (open loop), over keep-alive connections; prints one line per phase.
        """

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "--help" || flag == "-h" { throw Invalid(description: Self.usage) }
            guard let value = rest.popFirst() else { throw Invalid(description: "\(flag) needs a value\n\(Self.usage)") }
            switch flag {
            case "--host": host = value
            case "--port": port = try Self.number(value, flag, in: 1...65535)
            case "--path":
                guard value.hasPrefix("/") else { throw Invalid(description: "--path must start with /") }
                path = value
            case "--phase":
                let parts = value.split(separator: ":")
                guard parts.count == 2 else { throw Invalid(description: "--phase takes RATE:SECONDS, got \(value)") }
                phases.append(Phase(rate: try Self.number(String(parts[0]), "--phase rate", in: 1...1_000_000),
                                    seconds: try Self.number(String(parts[1]), "--phase seconds", in: 1...3600)))
            case "--deadline": deadlineSeconds = try Self.number(value, flag, in: 1...600)
            case "--max-connections": maxConnections = try Self.number(value, flag, in: 1...1_000_000)
            default: throw Invalid(description: "unknown flag \(flag)\n\(Self.usage)")
            }
        }
        if phases.isEmpty { throw Invalid(description: "at least one --phase is needed\n\(Self.usage)") }
    }

    private static func number(_ text: String, _ name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw Invalid(description: "\(name) must be a number in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return value
    }
}
