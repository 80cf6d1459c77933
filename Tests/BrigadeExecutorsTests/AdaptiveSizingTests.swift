import BrigadeExecutors
import Testing

/// The adaptive pool's decisions, through the pure policy: made-up scheduler samples on a
/// made-up clock, made-up counts of active, blocked, queued and parked threads. No threads, no
/// timing.
@Suite("Adaptive sizing: the policy")
struct AdaptiveSizingTests {
    let policy = AdaptiveSizing(parallelism: 2)
    let millisecond: UInt64 = 1_000_000

    /// A sample of one task `at` ms, having been on a CPU `cpu` ms and queued for one `queue` ms.
    func sample(at: UInt64, cpu: UInt64, queue: UInt64 = 0, task: UInt64 = 1) -> AdaptiveSizing.Sample {
        .init(onCPU: cpu * millisecond, waitingForCPU: queue * millisecond, at: at * millisecond, task: task)
    }

    // MARK: judging a thread

    @Test func aThreadOffTheCPUMostOfAWindowIsBlocked() {
        // 10 ms of wall time, 1 ms on the CPU: sleeping, waiting on a lock or a socket.
        #expect(policy.state(from: sample(at: 0, cpu: 0), to: sample(at: 10, cpu: 1)) == .blocked)
    }

    @Test func aThreadThatLooksOffTheCPUButRunsNowIsRunnable() {
        // A virtual machine's stolen time: the counters stood still, yet the thread runs.
        #expect(policy.state(from: sample(at: 0, cpu: 0), to: sample(at: 10, cpu: 4), sleepingNow: false) == .runnable)
        #expect(policy.state(from: sample(at: 0, cpu: 0), to: sample(at: 10, cpu: 4), sleepingNow: true) == .blocked)
        #expect(policy.state(from: sample(at: 0, cpu: 0), to: sample(at: 10, cpu: 4), sleepingNow: nil) == .blocked)
    }

    @Test func aThreadOnTheCPUOrWaitingForItIsRunnable() {
        #expect(policy.state(from: sample(at: 0, cpu: 0), to: sample(at: 10, cpu: 9)) == .runnable)
        // Preempted by other threads on a busy core: still wants the CPU, so it is not blocked —
        // otherwise a saturated core would start threads to fight over it.
        #expect(policy.state(from: sample(at: 0, cpu: 0), to: sample(at: 10, cpu: 2, queue: 7)) == .runnable)
    }

    @Test func tooShortAWindowOrAnotherTaskSaysNothing() {
        #expect(policy.state(from: nil, to: sample(at: 10, cpu: 0)) == .unknown)
        #expect(policy.state(from: sample(at: 0, cpu: 0), to: sample(at: 3, cpu: 0)) == .unknown)
        #expect(policy.state(from: sample(at: 0, cpu: 0, task: 1), to: sample(at: 10, cpu: 0, task: 2)) == .unknown)
    }

    @Test func aThreadSeenSleepingInATaskTooNewForAWindowIsBlocked() {
        let first = sample(at: 0, cpu: 0, task: 1)
        let soon = sample(at: 2, cpu: 0, task: 1)
        let ms = millisecond
        #expect(policy.state(from: first, to: soon, sleepingNow: true, taskRunningNanoseconds: 2 * ms) == .blocked)
        // Barely into its task: a lock or a short wait, not blocking yet.
        #expect(policy.state(from: first, to: soon, sleepingNow: true, taskRunningNanoseconds: ms / 10) == .unknown)
        // Running (or waiting for a CPU) now: runnable.
        #expect(policy.state(from: first, to: soon, sleepingNow: false, taskRunningNanoseconds: 2 * ms) == .runnable)
        #expect(policy.state(from: first, to: soon, sleepingNow: nil, taskRunningNanoseconds: 2 * ms) == .unknown)
        #expect(policy.state(from: nil, to: soon, sleepingNow: true, taskRunningNanoseconds: 2 * ms) == .blocked)
        // With a window, the counters decide.
        #expect(policy.state(from: first, to: sample(at: 10, cpu: 9, task: 1), sleepingNow: true, taskRunningNanoseconds: 10 * ms) == .runnable)
    }

    // MARK: growing

    @Test func aPoolWhoseThreadsAreAllBlockedGrowsWhileWorkWaits() {
        // Two threads, both blocked, five tasks queued, none parked: two more threads, so that
        // `parallelism` tasks run unblocked again.
        let decision = policy.decide(threads: 2, maxThreads: 200, active: 2, blocked: 2, queued: 5, parked: 0)
        #expect(decision == .init(wake: 0, start: 2))
        // Parked threads are used before new ones are started.
        #expect(policy.decide(threads: 4, maxThreads: 200, active: 2, blocked: 2, queued: 5, parked: 1) == .init(wake: 1, start: 1))
        // And a blocked thread admits new work straight away.
        #expect(policy.admits(active: 2, blocked: 2))
    }

    @Test func aPoolWhoseThreadsAreAllBusyOnTheCPUDoesNotGrow() {
        // However much work waits: more threads would only share the same CPUs.
        #expect(policy.decide(threads: 2, maxThreads: 200, active: 2, blocked: 0, queued: 10_000, parked: 0) == .none)
        #expect(!policy.admits(active: 2, blocked: 0))
        // A thread that finishes takes the next task only while that keeps `parallelism` runnable.
        #expect(policy.takesNext(othersActive: 1, blocked: 0))
        #expect(!policy.takesNext(othersActive: 2, blocked: 0))
        #expect(policy.takesNext(othersActive: 2, blocked: 1))
    }

    @Test func nothingIsStartedWhenNothingWaits() {
        #expect(policy.decide(threads: 4, maxThreads: 200, active: 4, blocked: 4, queued: 0, parked: 0) == .none)
    }

    @Test func theCapHolds() {
        // 200 threads, all blocked, work waiting: no 201st thread.
        #expect(policy.decide(threads: 200, maxThreads: 200, active: 200, blocked: 200, queued: 50, parked: 0) == .none)
        // One short of the cap: one thread, not two.
        #expect(policy.decide(threads: 199, maxThreads: 200, active: 199, blocked: 199, queued: 50, parked: 0) == .init(wake: 0, start: 1))
    }

    // MARK: shrinking

    @Test func itShrinksAfterTheKeepAlive() {
        let keepAlive = 60_000 * millisecond
        #expect(!AdaptiveSizing.retires(threads: 10, coreThreads: 2, idleNanoseconds: keepAlive - 1, keepAliveNanoseconds: keepAlive))
        #expect(AdaptiveSizing.retires(threads: 10, coreThreads: 2, idleNanoseconds: keepAlive, keepAliveNanoseconds: keepAlive))
        // Never below the core.
        #expect(!AdaptiveSizing.retires(threads: 2, coreThreads: 2, idleNanoseconds: keepAlive * 10, keepAliveNanoseconds: keepAlive))
    }

    // MARK: a whole episode

    @Test func anEpisodeOfBlockingGrowsThePoolAndItsEndParksTheSurplus() {
        // Four tasks on two running threads; both threads go to sleep in a syscall.
        var threads = 2, active = 2, blocked = 0, queued = 2
        let samples = [(sample(at: 0, cpu: 0, task: 1), sample(at: 20, cpu: 1, task: 1)),
                       (sample(at: 0, cpu: 0, task: 2), sample(at: 20, cpu: 0, task: 2))]
        for (previous, current) in samples where policy.state(from: previous, to: current) == .blocked { blocked += 1 }
        #expect(blocked == 2)
        let decision = policy.decide(threads: threads, maxThreads: 200, active: active, blocked: blocked, queued: queued, parked: 0)
        #expect(decision.start == 2)
        threads += decision.start; active += decision.start; queued -= decision.start
        // The sleepers wake: four runnable on two CPUs. Nothing more starts, and the first
        // threads to finish park instead of taking more work until two run.
        blocked = 0
        #expect(policy.decide(threads: threads, maxThreads: 200, active: active, blocked: blocked, queued: 3, parked: 0) == .none)
        #expect(!policy.takesNext(othersActive: 3, blocked: 0))
        #expect(!policy.takesNext(othersActive: 2, blocked: 0))
        #expect(policy.takesNext(othersActive: 1, blocked: 0))
    }
}

/// The adaptive pool on real threads: work that blocks gets threads, work that keeps the CPU
/// does not. Each waits on a signal, never on a sleep.
@Suite("Adaptive sizing: the pool")
struct AdaptivePoolTests {
    func makeAdaptivePool(parallelism: Int, max: Int) throws -> ThreadPool {
        try ThreadPool(configuration: .init(
            name: "adaptive", tier: .back("adaptive"), coreThreads: 0, maxThreads: max, queueCapacity: 100,
            keepAlive: .seconds(60), rejectionPolicy: .abort, sizing: .adaptive(parallelism: parallelism)))
    }

    @Test func tasksThatBlockGetThreadsBeyondTheParallelism() async throws {
        // One runnable thread allowed; four tasks that all wait on the same gate. Were blocked
        // threads counted as running, the second task would wait for the first forever.
        let pool = try makeAdaptivePool(parallelism: 1, max: 8)
        let gate = Latch(), started = Latch(count: 4)
        defer { pool.tearDown(opening: gate) }
        for _ in 0..<4 { try pool.executeBlocking(started: started, until: gate) }
        #expect(await Task.detached { started.wait(timeout: .seconds(20)) }.value)
        let stats = pool.statistics
        #expect(stats.poolSize >= 4)
        #expect(stats.blocked >= 3)
        #expect(stats.addedForBlocked >= 3)
    }

    @Test func sleepingTasksOnAPoolWithCoreThreadsGrowItPastTheCore() async throws {
        // The front pool's shape: ten core threads, one runnable at a time, a burst of tasks
        // that each sleep. Every sleeper leaves its place to another thread, past the core.
        let pool = try ThreadPool(configuration: .init(
            name: "adaptive", tier: .back("adaptive"), coreThreads: 10, maxThreads: 200, queueCapacity: 1000,
            keepAlive: .seconds(60), rejectionPolicy: .abort, sizing: .adaptive(parallelism: 1)))
        let gate = Latch(), started = Latch(count: 40)
        defer { pool.tearDown(opening: gate) }
        for _ in 0..<40 { try pool.executeBlocking(started: started, until: gate) }
        #expect(await Task.detached { started.wait(timeout: .seconds(30)) }.value, "\(pool.statistics)")
        #expect(pool.statistics.poolSize >= 40)
    }

    @Test func aStreamOfSleepingTasksGrowsThePool() async throws {
        // A sync handler's shape: each task sleeps 30 ms (its work, not a synchronisation), and
        // new ones keep coming. Some thread is always in a task too new for a counter window;
        // seen sleeping, it must not hold the pool at its core size.
        let pool = try ThreadPool(configuration: .init(
            name: "adaptive", tier: .back("adaptive"), coreThreads: 4, maxThreads: 200, queueCapacity: 1000,
            keepAlive: .seconds(60), rejectionPolicy: .abort, sizing: .adaptive(parallelism: 1)))
        defer { pool.tearDown() }
        let done = Latch(count: 300)
        for _ in 0..<300 {
            try pool.execute {
                usleep(30_000)
                done.countDown()
            }
        }
        #expect(await Task.detached { done.wait(timeout: .seconds(60)) }.value)
        // On four threads it would take 2.25 s; the pool grew instead.
        #expect(pool.statistics.largestPoolSize >= 8, "\(pool.statistics)")  // past its 4 core threads (16+ when the machine is quiet)
    }

    @Test func aGracefulShutdownDrainsTheQueueWhateverThePolicy() async throws {
        // One runnable thread allowed, one task computing, five queued behind it: at shutdown
        // every thread takes queued work (the policy would let them park, and a parked thread
        // of a pool shutting down does not wait).
        let pool = try makeAdaptivePool(parallelism: 1, max: 8)
        let ran = Counter()
        let gate = Latch(), started = Latch()
        try pool.execute {
            started.countDown()
            gate.wait()
            _ = ran.increment()
        }
        #expect(await Task.detached { started.wait() }.value)
        for _ in 0..<5 { try pool.execute { _ = ran.increment() } }
        pool.shutdown()
        gate.open()
        #expect(await Task.detached { pool.awaitTermination(timeout: .seconds(20)) }.value)
        #expect(ran.value == 6)
    }

    @Test func aTaskThatKeepsTheCPUMakesTheNextOneWait() async throws {
        // One runnable thread allowed: while the first task computes, the second queues; it
        // starts only when the first ends.
        let pool = try makeAdaptivePool(parallelism: 1, max: 8)
        defer { pool.tearDown() }
        let order = Recorder<String>()
        let done = Latch(count: 2)
        for name in ["first", "second"] {
            try pool.execute {
                order.record("\(name) starts")
                if name == "first" { spin(cpuMilliseconds: 60) }
                order.record("\(name) ends")
                done.countDown()
            }
        }
        #expect(await Task.detached { done.wait(timeout: .seconds(20)) }.value)
        #expect(order.all == ["first starts", "first ends", "second starts", "second ends"])
        #expect(pool.statistics.poolSize == 1)
        #expect(pool.statistics.addedForBlocked == 0)
    }
}

/// Keeps the CPU busy for `cpuMilliseconds` of the calling thread's own CPU time.
private func spin(cpuMilliseconds: Int) {
    var start = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
    var now = start
    var sink = 0
    repeat {
        for index in 0..<10_000 { sink &+= index }
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    } while (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1_000_000 < cpuMilliseconds
    precondition(sink != 42)
}

#if canImport(Glibc)
import Glibc
#endif

/// The malloc arena bound `Application.main` applies.
@Suite struct MallocArenasTests {
    @Test func twoArenasPerCPUUnlessTheOperatorChose() {
        #expect(MallocArenas.limit(cpus: 1, environment: [:]) == 2)
        #expect(MallocArenas.limit(cpus: 4, environment: ["PATH": "/bin"]) == 8)
        #expect(MallocArenas.limit(cpus: 0, environment: [:]) == 2)
        #expect(MallocArenas.limit(cpus: 4, environment: ["MALLOC_ARENA_MAX": "1"]) == nil)
    }
}
