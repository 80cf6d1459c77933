#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import DequeModule

extension ThreadPool {
    /// Starts the OS thread for a worker counted by `reserveThreadLocked()`.
    /// - Parameter first: The task it runs before looking at the queue (counted active).
    func startThread(_ worker: Worker, first: Job?) {
        let identity = ThreadIdentity(tier: tier, name: worker.activity.threadName, activity: worker.activity)
        let batch = batchScheduling
        let measured = adaptive != nil
        Self.detachThread { [self] in
            ThreadIdentity.set(identity)
            if batch { ThreadIdentity.useBatchScheduling() }
            if measured, let stat = SchedStat.openForCurrentThread() {
                lock.withLock { worker.schedStat = stat }
            }
            workerLoop(worker, first: first)
        }
    }

    /// Runs a task with the context captured at its submission installed.
    func run(_ job: Job) {
        if let context = job.context {
            WorkContext.$current.withValue(context) { job.body() }
        } else {
            job.body()
        }
    }

    private func workerLoop(_ worker: Worker, first: Job?) {
        var job = first
        while true {
            if let current = job {
                let started = monotonicNanoseconds()
                let waited = started >= current.enqueuedAt ? started - current.enqueuedAt : 0
                worker.activity.begin(at: started, label: current.context?.activity)
                run(current)
                worker.activity.end()
                let elapsed = monotonicNanoseconds() &- started
                if let timers {
                    timers.recordQueueWait(nanoseconds: waited)
                    timers.recordService(nanoseconds: elapsed)
                }
                lock.lock()
                core.completed += 1
                core.active -= 1
                worker.runningJob = 0
                worker.presumedBlocked = worker.blocked
                if worker.blocked {
                    worker.blocked = false
                    core.blocked -= 1
                }
                core.queueWait.record(nanoseconds: waited)
                core.service.record(nanoseconds: elapsed)
            } else {
                lock.lock()
            }
            // Held from the end of one task until the next is chosen or the thread leaves, so a
            // submitter sees this thread either parked or busy, never idle yet unreachable (the
            // one gap, calling a dropped task's onDiscard, is while it still counts as busy).
            job = nextJobLocked(worker)
            if job == nil {
                core.threads -= 1
                core.workers[worker.number] = nil
                if core.threads == 0, core.runState == .shuttingDown { terminated.broadcast() }
                lock.unlock()
                return
            }
            lock.unlock()
        }
    }

    /// Chooses the thread's next task, parking it while there is none; `nil` means exit.
    /// Called and returns with the lock held; the returned task is counted active.
    private func nextJobLocked(_ worker: Worker) -> Job? {
        var expired = false
        while true {
            // A thread woken or started for queued work takes one task whatever the count says
            // now: the decision was made on a consistent view, and were it re-made here, a
            // task that started meanwhile — not yet known to sleep — would send it back to park
            // every time, and a pool of sleepers would never grow.
            let woken = worker.waking
            if woken {
                worker.waking = false
                core.waking -= 1
            }
            if let handed = worker.handoff {
                worker.handoff = nil  // whoever handed it unparked it, counted it active, set runningJob
                return handed
            }
            // A thread above the maximum leaves even with work queued: the threads that stay
            // take it. A thread above the core whose keep-alive ran out leaves too.
            let leave = core.threads > core.configuration.maxThreads
                || (expired && core.threads > core.configuration.coreThreads)
                || (core.runState != .running && core.queue.isEmpty)
            // An adaptive pool's thread takes queued work only while that keeps the runnable
            // threads within the parallelism; a surplus thread parks.
            // Once shutting down every thread drains the queue (and parking would not wait).
            let mayTake = woken || core.runState != .running
                || (adaptive?.takesNext(othersActive: core.active + core.waking, blocked: core.blocked) ?? true)
            if worker.parked, leave || (mayTake && !core.queue.isEmpty) { unparkLocked(worker) }
            if leave { return nil }
            if mayTake, let next = core.queue.popFirst() {
                if next.isCancelled {
                    core.cancelled += 1
                    // Never call user code under the lock; the pool is re-read afterwards.
                    lock.unlock()
                    next.onDiscard?(.cancelled)
                    lock.lock()
                    continue
                }
                core.active += 1
                worker.runningJob = next.id
                startTaskLocked(worker)
                return next
            }
            expired = parkLocked(worker)
        }
    }

    /// Parks the thread (if it is not already: core threads start parked) and waits until it
    /// is handed a task or unparked, the pool shuts down or shrinks below it, or its keep-alive
    /// runs out — then returns `true`, still parked. Lock held, except while waiting.
    private func parkLocked(_ worker: Worker) -> Bool {
        if !worker.parked {
            core.idle.append(worker)
            worker.parked = true
        }
        let idleSince = monotonicNanoseconds()
        while worker.parked, core.runState == .running, core.threads <= core.configuration.maxThreads {
            // Decided on every wake-up, not once: resize() may change the core under a parked
            // thread, and a thread that became non-core must start counting its keep-alive.
            if core.threads > core.configuration.coreThreads {
                let keepAlive = core.configuration.keepAlive.clampedNanoseconds
                let deadline = idleSince.addingSaturating(keepAlive)
                if !worker.wake.wait(untilUptimeNanoseconds: deadline) {
                    let idle = monotonicNanoseconds() &- idleSince
                    if AdaptiveSizing.retires(
                        threads: core.threads, coreThreads: core.configuration.coreThreads,
                        idleNanoseconds: idle, keepAliveNanoseconds: keepAlive)
                    {
                        return true
                    }
                }
            } else {
                worker.wake.wait()
            }
        }
        return false
    }

    /// Counts a thread that starts a task as blocked at once when its last task ended blocked
    /// (``Worker/presumedBlocked``). Called with the lock held.
    func startTaskLocked(_ worker: Worker) {
        guard adaptive != nil, worker.presumedBlocked, !worker.blocked else { return }
        worker.blocked = true
        core.blocked += 1
    }

    /// Takes a parked thread out of `idle`. Called with the lock held.
    func unparkLocked(_ worker: Worker) {
        worker.parked = false
        if let index = core.idle.firstIndex(where: { $0 === worker }) { core.idle.remove(at: index) }
    }

    /// Starts a detached OS thread running `body` (tier ``ThreadTier/unmanaged`` unless it
    /// marks itself). For the rare thread of its own that a pool would not fit: a listener
    /// blocked on a socket, a test fixture's blocking set-up.
    public static func detachThread(_ body: @escaping @Sendable () -> Void) {
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }
}
