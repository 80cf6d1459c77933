import Synchronization

/// The thread that watches every ``PoolSizing/adaptive(parallelism:)`` pool — Go's `sysmon`,
/// .NET's starvation detector: every ``busyTick`` while a pool has work, it samples the threads
/// running tasks and lets a blocked one's place be taken (``ThreadPool/supervise()``). With
/// nothing to watch it ticks every ``idleTick``; it starts with the first adaptive pool.
final class PoolSupervisor: Sendable {
    /// The process's supervisor.
    static let shared = PoolSupervisor()

    /// How often pools with work are sampled.
    static let busyTick: UInt64 = 5_000_000
    /// How often it looks when no pool had work.
    static let idleTick: UInt64 = 50_000_000

    private final class WeakPool: Sendable {
        weak let pool: ThreadPool?
        init(_ pool: ThreadPool) { self.pool = pool }
    }

    private struct State {
        var pools: [WeakPool] = []
        var started = false
    }

    private let state = Mutex(State())

    private init() {}

    /// Watches `pool` until it is shut down or deallocated.
    func register(_ pool: ThreadPool) {
        let start = state.withLock { state -> Bool in
            state.pools.append(WeakPool(pool))
            defer { state.started = true }
            return !state.started
        }
        if start {
            ThreadPool.detachThread { [self] in
                ThreadTier.markCurrentThread(.unmanaged, name: "pool-supervisor")
                loop()
            }
        }
    }

    private func loop() {
        while true {
            let pools = state.withLock { state -> [ThreadPool] in
                state.pools.removeAll { $0.pool == nil }
                return state.pools.compactMap(\.pool)
            }
            var busy = false
            for pool in pools where pool.supervise() { busy = true }
            let tick = busy ? Self.busyTick : Self.idleTick
            var request = timespec(tv_sec: 0, tv_nsec: Int(tick))
            var remaining = timespec()
            while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
