import Foundation

/// What a group of requests got: one phase's, or one request kind's over the whole run.
struct Tally: Sendable {
    var sent = 0
    /// Answered with any 2xx status.
    var ok = 0
    /// Answered 503.
    var unavailable = 0
    /// Answered with any other status (1xx, 3xx, 4xx, 5xx but 503).
    var other = 0
    var noAnswer = 0
    /// Latencies of the answered requests (any status), in nanoseconds, from the moment each
    /// request was due to be sent (not when a connection became free: open-loop timing).
    var latencies: [Int64] = []

    init(expected: Int = 0) {
        latencies.reserveCapacity(expected)
    }

    mutating func answered(status: Int, latency: Int64) {
        switch status {
        case 200..<300: ok += 1
        case 503: unavailable += 1
        default: other += 1
        }
        latencies.append(latency)
    }

    /// Whether every request got a 2xx.
    var allOK: Bool { ok == sent }

    /// Adds `other`'s counts and latencies.
    mutating func add(_ other: Tally) {
        sent += other.sent
        ok += other.ok
        unavailable += other.unavailable
        self.other += other.other
        noAnswer += other.noAnswer
        latencies += other.latencies
    }

    /// Sent, 2xx, 503, other, no answer, p50/p99/max latency of the answered ones:
    /// `sent 100, 2xx: 98, 503: 1, other: 1, no answer: 0, latency p50 1.1 ms, p99 5.0 ms, max 6.2 ms`.
    var summary: String {
        let sorted = latencies.sorted()
        func ms(_ quantile: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            let rank = min(sorted.count - 1, Int((quantile * Double(sorted.count)).rounded(.up)) - 1)
            return String(format: "%.1f ms", Double(sorted[max(0, rank)]) / 1e6)
        }
        return "sent \(sent), 2xx: \(ok), 503: \(unavailable), other: \(other), "
            + "no answer: \(noAnswer), latency p50 \(ms(0.5)), p99 \(ms(0.99)), max \(ms(1))"
    }
}
