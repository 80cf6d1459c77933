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
    /// The requests, sent round-robin in this order (repeat one to weight it).
    var requests: [RequestTemplate] = []
    var phases: [Phase] = []
    /// After this long without a complete answer, a request counts as "no answer".
    var deadlineSeconds = 10
    /// Connections open at once, at most; a request that finds none free waits for one.
    var maxConnections = 2000
    /// The number of the first request (`{n}` in a template); each next request has the next.
    var firstNumber = 1
    /// Exit 1 when any request got anything but a 2xx, not only when one got no answer.
    var failOnError = false
    /// Where to write one line per request (due time, kind, status, latency), if anywhere.
    var logPath: String?

    /// When no `--request` or `--path` is given.
    static let defaultPath = "/slow/callable?ms=100"

    static let usage = """
        usage: overload --port N [--host H] [--path /p?q | --request 'METHOD /p?q [BODY]' …]
                        --phase RATE:SECONDS [--phase …] [--deadline SECONDS] [--max-connections N]
                        [--first-number N] [--fail-on-error] [--log FILE]
        Sends RATE requests per second for SECONDS, phase after phase, whatever the answers
        (open loop), over keep-alive connections; prints one line per phase and one per kind
        of request. Several --request (and --path, a GET) are sent round-robin in the given
        order; a BODY is sent as application/json. In PATH and BODY, {n} is the request's
        number (from --first-number, default 1) and {isbn} a valid ISBN-13 made from it.
        Exits 1 if a request got no answer or, with --fail-on-error, anything but a 2xx.
        --log writes one line per request: due time (Unix seconds), kind (from 1), status
        (0: no answer), latency in ms.
        """

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "--help" || flag == "-h" { throw Invalid(description: Self.usage) }
            if flag == "--fail-on-error" {
                failOnError = true
                continue
            }
            guard let value = rest.popFirst() else { throw Invalid(description: "\(flag) needs a value\n\(Self.usage)") }
            switch flag {
            case "--host": host = value
            case "--port": port = try Self.number(value, flag, in: 1...65535)
            case "--path": requests.append(try RequestTemplate(get: value))
            case "--request": requests.append(try RequestTemplate(parsing: value))
            case "--phase":
                let parts = value.split(separator: ":")
                guard parts.count == 2 else { throw Invalid(description: "--phase takes RATE:SECONDS, got \(value)") }
                phases.append(Phase(rate: try Self.number(String(parts[0]), "--phase rate", in: 1...1_000_000),
                                    seconds: try Self.number(String(parts[1]), "--phase seconds", in: 1...3600)))
            case "--deadline": deadlineSeconds = try Self.number(value, flag, in: 1...600)
            case "--max-connections": maxConnections = try Self.number(value, flag, in: 1...1_000_000)
            case "--first-number": firstNumber = try Self.number(value, flag, in: 0...Int(Int32.max))
            case "--log": logPath = value
            default: throw Invalid(description: "unknown flag \(flag)\n\(Self.usage)")
            }
        }
        if phases.isEmpty { throw Invalid(description: "at least one --phase is needed\n\(Self.usage)") }
        if requests.isEmpty { requests = [try RequestTemplate(get: Self.defaultPath)] }
    }

    /// The distinct kinds of request, in the order they first appear in ``requests``: a
    /// repeated request is one kind, counted together.
    var kinds: [RequestTemplate] {
        requests.reduce(into: []) { kinds, request in if !kinds.contains(request) { kinds.append(request) } }
    }

    /// How many of ``requests`` are of each of ``kinds``.
    var weights: [Int] {
        kinds.map { kind in requests.count { $0 == kind } }
    }

    private static func number(_ text: String, _ name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw Invalid(description: "\(name) must be a number in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return value
    }
}
