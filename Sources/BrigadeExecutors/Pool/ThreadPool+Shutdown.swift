import DequeModule

extension ThreadPool {
    /// Stops accepting work; queued and running tasks still finish, then every thread exits.
    /// Returns at once; ``awaitTermination(timeout:)`` waits for the end.
    ///
    /// Submissions from now on throw ``RejectedExecutionError`` with reason `.shutdown`.
    /// Calling it again, or after ``shutdownNow()``, does nothing more.
    public func shutdown() {
        lock.withLock {
            core.runState = .shuttingDown
            wakeAllParkedLocked()
            if core.threads == 0 { terminated.broadcast() }
        }
    }

    /// Stops accepting work and drops every queued task; their `onDiscard` runs with
    /// `.shutdown`, on the calling thread, before this returns. Running tasks finish — OS threads
    /// cannot be interrupted — and then every thread exits.
    /// - Returns: How many queued tasks were dropped (also counted in ``Statistics/cancelled``).
    @discardableResult
    public func shutdownNow() -> Int {
        let dropped = lock.withLock { () -> Deque<Job> in
            core.runState = .shuttingDown
            let dropped = core.queue
            core.queue.removeAll()
            core.cancelled += dropped.count
            wakeAllParkedLocked()
            if core.threads == 0 { terminated.broadcast() }
            return dropped
        }
        for job in dropped { job.onDiscard?(.shutdown) }
        return dropped.count
    }

    /// Blocks the calling thread until the pool is shut down and every thread has exited, or
    /// until `timeout` passes. Before a shutdown it can only time out.
    /// - Parameter timeout: The longest to wait.
    /// - Returns: `true` if the pool terminated in time.
    @discardableResult
    public func awaitTermination(timeout: Duration) -> Bool {
        let deadline = monotonicNanoseconds().addingSaturating(timeout.clampedNanoseconds)
        return lock.withLock {
            while !(core.runState == .shuttingDown && core.threads == 0) {
                if !terminated.wait(untilUptimeNanoseconds: deadline), monotonicNanoseconds() >= deadline {
                    return core.runState == .shuttingDown && core.threads == 0
                }
            }
            return true
        }
    }

    /// Graceful shutdown: stops accepting, lets queued and running work finish until
    /// `timeout`, then drops what is still queued (their `onDiscard` runs with `.shutdown`).
    ///
    /// Waits on a thread of its own, so the calling task's executor is never blocked. Tasks
    /// still running at the deadline go on to their end; the pool's threads exit after them.
    /// - Parameter timeout: The longest to wait for queued and running work.
    /// - Returns: `true` if everything finished and every thread exited within `timeout`.
    public func shutdownGracefully(timeout: Duration) async -> Bool {
        shutdown()
        let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Self.detachThread { continuation.resume(returning: self.awaitTermination(timeout: timeout)) }
        }
        if !finished { shutdownNow() }
        return finished
    }

    /// Takes every parked thread out of `idle` and wakes it; each then re-examines the pool
    /// (the queue, the run state, the limits). Called with the lock held.
    func wakeAllParkedLocked() {
        for worker in core.idle {
            worker.parked = false
            worker.wake.signal()
        }
        core.idle.removeAll()
    }
}
