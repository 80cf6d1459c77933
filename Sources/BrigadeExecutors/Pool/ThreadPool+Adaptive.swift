extension ThreadPool {
    /// One round of an adaptive pool's supervision: samples the threads that run tasks, marks
    /// the blocked ones, and — while work waits — wakes or starts a thread for each runnable
    /// slot they leave free. Called by ``PoolSupervisor`` every few milliseconds; the counters
    /// are read outside the pool's lock.
    /// - Returns: Whether the pool had work running or queued (the supervisor ticks fast then).
    func supervise() -> Bool {
        guard let adaptive else { return false }
        struct Probe {
            let worker: Worker
            let stat: SchedStat
            let job: UInt64
            let previous: AdaptiveSizing.Sample?
        }
        let probes = lock.withLock { () -> [Probe]? in
            guard core.runState == .running, core.active > 0 || !core.queue.isEmpty else { return nil }
            // Sampled at the maximum too, where nothing can be added: the statistics say who
            // is blocked, and the advice whether blocked threads filled the pool.
            return core.workers.values.compactMap { worker in
                guard worker.runningJob != 0, let stat = worker.schedStat else { return nil }
                return Probe(worker: worker, stat: stat, job: worker.runningJob, previous: worker.lastSample)
            }
        }
        guard let probes else { return false }
        let now = monotonicNanoseconds()
        struct Reading {
            let sample: AdaptiveSizing.Sample
            let state: AdaptiveSizing.ThreadState
            /// Whether the counters' window alone could judge the thread (it then starts anew).
            let windowJudged: Bool
        }
        let samples = probes.map { probe -> (Probe, Reading?) in
            guard let counters = probe.stat.read() else { return (probe, nil) }
            let sample = AdaptiveSizing.Sample(onCPU: counters.onCPU, waitingForCPU: counters.waitingForCPU, at: now, task: probe.job)
            let byWindow = adaptive.state(from: probe.previous, to: sample)
            var state = byWindow
            if state != .runnable {
                // A task too new for a window, or a window that says blocked: the thread's state
                // now decides, or confirms (a thread the hypervisor paused looks blocked too).
                let running = probe.worker.activity.running(now: now)?.runningFor.clampedNanoseconds ?? 0
                state = adaptive.state(
                    from: probe.previous, to: sample, sleepingNow: probe.stat.isSleeping(), taskRunningNanoseconds: running)
            }
            return (probe, Reading(sample: sample, state: state, windowJudged: byWindow != .unknown))
        }
        let starts = lock.withLock { () -> [Worker] in
            for (probe, reading) in samples {
                let worker = probe.worker
                // The task may have ended meanwhile: its sample says nothing about the next one.
                guard let reading, worker.runningJob == probe.job else { continue }
                let sample = reading.sample
                switch reading.state {
                case .blocked where !worker.blocked:
                    worker.blocked = true
                    core.blocked += 1
                case .runnable where worker.blocked:
                    worker.blocked = false
                    core.blocked -= 1
                default:
                    break
                }
                // A window starts at the first sample of a task and grows until the thread's
                // state is known, so a short tick does not hide a blocked thread.
                if probe.previous?.task != sample.task || reading.windowJudged {
                    worker.lastSample = sample
                }
            }
            guard core.runState == .running else { return [] }
            let decision = adaptive.decide(
                threads: core.threads, maxThreads: core.configuration.maxThreads, active: core.active + core.waking,
                blocked: core.blocked, queued: core.queue.count, parked: core.idle.count)
            for _ in 0..<decision.wake {
                guard let worker = core.idle.popLast() else { break }
                worker.parked = false
                worker.waking = true
                core.waking += 1
                worker.wake.signal()
            }
            core.addedForBlocked += decision.wake + decision.start
            return (0..<decision.start).map { _ in
                let worker = reserveThreadLocked()
                worker.waking = true
                core.waking += 1
                return worker
            }
        }
        // New threads take queued work through the queue, where cancelled tasks are dropped.
        for worker in starts { startThread(worker, first: nil) }
        return true
    }
}
