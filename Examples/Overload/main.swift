import Foundation
import NIOCore
import NIOPosix

// `overload --port 18095 --path '/slow/callable?ms=100' --phase 480:20 --phase 80:10`:
// an open-loop load, phase after phase; one line per phase; exits 1 if any request got no answer.
let options: Options
do {
    options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
print("overload: GET http://\(options.host):\(options.port)\(options.path), deadline \(options.deadlineSeconds) s, at most \(options.maxConnections) connections")
let report: LoadGenerator.Report
do {
    report = try await LoadGenerator.run(options, on: group.next()).get()
    try await group.shutdownGracefully()
} catch {
    FileHandle.standardError.write(Data("overload: \(error)\n".utf8))
    exit(2)
}

var total = PhaseStats(phase: Phase(rate: 0, seconds: 0))
for (index, phase) in report.phases.enumerated() {
    print(phase.line(index))
    total.sent += phase.sent
    total.ok += phase.ok
    total.unavailable += phase.unavailable
    total.other += phase.other
    total.noAnswer += phase.noAnswer
}
print("total: sent \(total.sent), 200: \(total.ok), 503: \(total.unavailable), other: \(total.other), no answer: \(total.noAnswer), peak connections \(report.peakConnections)")
exit(total.noAnswer == 0 ? 0 : 1)
