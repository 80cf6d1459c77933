import Foundation

/// What one phase's requests got.
struct PhaseStats: Sendable {
    let phase: Phase
    var sent = 0
    var ok = 0
    var unavailable = 0
    var other = 0
    var noAnswer = 0
    /// Latencies of the answered requests (any status), in nanoseconds, from the moment each
    /// request was due to be sent (not when a connection became free: open-loop timing).
    var latencies: [Int64] = []

    init(phase: Phase) {
        self.phase = phase
        latencies.reserveCapacity(phase.requests)
    }

    mutating func answered(status: Int, latency: Int64) {
        switch status {
        case 200: ok += 1
        case 503: unavailable += 1
        default: other += 1
        }
        latencies.append(latency)
    }

    /// One line: sent, 200, 503, other, no answer, p50/p99/max latency of the answered ones.
    func line(_ index: Int) -> String {
        let sorted = latencies.sorted()
        func ms(_ quantile: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            let rank = min(sorted.count - 1, Int((quantile * Double(sorted.count)).rounded(.up)) - 1)
            return String(format: "%.1f ms", Double(sorted[max(0, rank)]) / 1e6)
        }
        return "phase \(index + 1) (\(phase)): sent \(sent), 200: \(ok), 503: \(unavailable), other: \(other), "
            + "no answer: \(noAnswer), latency p50 \(ms(0.5)), p99 \(ms(0.99)), max \(ms(1))"
    }
}
