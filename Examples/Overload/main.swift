import Foundation
import NIOCore
import NIOPosix

// `overload --port 18095 --path '/slow/callable?ms=100' --phase 480:20 --phase 80:10`:
// an open-loop load, phase after phase; one line per phase, one per kind of request; exits 1
// if any request got no answer (with --fail-on-error: anything but a 2xx).
// A mix: `--request 'GET /books/{n}' --request 'POST /books {"isbn":"{isbn}",…}'` alternates.
let options: Options
do {
    options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let mix = options.requests.count == 1
    ? options.requests[0].description
    : "round-robin over \(options.requests.count): "
        + zip(options.kinds, options.weights).map { "\($0) ×\($1)" }.joined(separator: ", ")
print("overload: http://\(options.host):\(options.port), \(mix); deadline \(options.deadlineSeconds) s, at most \(options.maxConnections) connections")
let report: LoadGenerator.Report
do {
    report = try await LoadGenerator.run(options, on: group.next()).get()
    try await group.shutdownGracefully()
} catch {
    FileHandle.standardError.write(Data("overload: \(error)\n".utf8))
    exit(2)
}

var total = Tally()
for (index, phase) in report.phases.enumerated() {
    print("phase \(index + 1) (\(options.phases[index])): \(phase.summary)")
    total.add(phase)
}
if options.requests.count > 1 {
    let kinds = options.kinds, weights = options.weights
    for (index, kind) in report.kinds.enumerated() {
        print("kind \(index + 1) (\(kinds[index]), \(weights[index]) of \(options.requests.count)): \(kind.summary)")
    }
}
print("total: sent \(total.sent), 2xx: \(total.ok), 503: \(total.unavailable), other: \(total.other), no answer: \(total.noAnswer), peak connections \(report.peakConnections)")

if let path = options.logPath {
    // due (Unix seconds), kind (from 1), status (0: no answer), latency (ms)
    var lines = "# due kind status latency_ms\n"
    for outcome in report.outcomes.sorted(by: { $0.due < $1.due }) {
        let due = report.start + Double(outcome.due) / 1e9
        lines += String(format: "%.3f %d %d %.1f\n", due, outcome.kind + 1, outcome.status ?? 0, Double(outcome.latency) / 1e6)
    }
    do {
        try Data(lines.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
        FileHandle.standardError.write(Data("overload: cannot write \(path): \(error)\n".utf8))
        exit(2)
    }
}
let failed = options.failOnError ? !total.allOK : total.noAnswer > 0
exit(failed ? 1 : 0)
