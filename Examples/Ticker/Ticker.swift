import Brigade
import BrigadeExecutors
import Foundation
import Synchronization

/// The benchmark's ticker: every `period`, one event — `<sequence> <wall-clock µs>`, the stamp
/// taken as the tick starts, the same for every subscriber — to every subscriber.
final class Ticker: Sendable {
    private struct State {
        var sequence = 0
        var running = false
        var next: ContinuousClock.Instant = .now
        var task: Scheduler.ScheduledTask?
    }

    let topic = Topic()
    private let period: Duration
    private let state = Mutex(State())

    init(period: Duration) {
        self.period = period
    }

    func start() {
        state.withLock { state in
            state.running = true
            state.next = .now + period
        }
        scheduleNext()
    }

    func stop() {
        let task = state.withLock { state in
            state.running = false
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }

    private func tick() {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let stamp = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
        let sequence = state.withLock { state in
            state.sequence += 1
            return state.sequence
        }
        topic.publish(ServerSentEvent(data: "\(sequence) \(stamp)").encoded())
    }

    /// Ticks on a fixed schedule (start + n × period), so a slow fan-out does not drift it.
    private func scheduleNext() {
        let deadline = state.withLock { $0.next }
        let task = Scheduler.shared.schedule(at: deadline) { [self] in
            tick()
            let again = state.withLock { state -> Bool in
                state.next = max(state.next + period, .now)
                return state.running
            }
            if again { scheduleNext() }
        }
        let keep = state.withLock { state -> Bool in
            guard state.running else { return false }
            state.task = task
            return true
        }
        if !keep { task.cancel() }
    }
}
