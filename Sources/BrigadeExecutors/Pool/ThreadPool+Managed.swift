extension ThreadPool: ManagedPool {
    /// `front` for the front pool, `back` for every other.
    public var kind: PoolKind { tier == .front ? .front : .back }

    /// The pool's state and counters, in the terms every managed pool shares.
    public func snapshot() -> PoolSnapshot {
        let stats = statistics
        return PoolSnapshot(
            name: name, kind: kind, takenAtNanoseconds: monotonicNanoseconds(), size: stats.poolSize,
            active: stats.active, queued: stats.queued, coreSize: stats.coreThreads, maxSize: stats.maxThreads,
            queueCapacity: stats.queueCapacity, completed: UInt64(stats.completed), rejected: UInt64(stats.rejected),
            queueWait: stats.queueWait, service: stats.service,
            sizing: stats.sizing, blocked: stats.blocked, addedForBlocked: UInt64(stats.addedForBlocked))
    }

    /// The tasks running now, longest-running first, labelled with their work's
    /// ``WorkContext/activity`` (or what ``labelCurrentTask(_:)`` said).
    public func runningTasks() -> [RunningTask] {
        let activities = lock.withLock { core.workers.values.map(\.activity) }
        let now = monotonicNanoseconds()
        return activities.compactMap { $0.running(now: now) }.sorted { $0.runningFor > $1.runningFor }
    }

    /// Resizes the pool: see ``resize(coreThreads:maxThreads:queueCapacity:)``.
    public func resize(_ change: PoolResize) throws(ConfigurationError) {
        try resize(coreThreads: change.coreThreads, maxThreads: change.maxThreads, queueCapacity: change.queueCapacity)
    }

    /// Names what the calling pool thread's current task is (`GET /reports/{id}`), for
    /// ``runningTasks()``, when it was not known at submission. Does nothing on other threads.
    public static func labelCurrentTask(_ label: String) {
        ThreadIdentity.current?.activity?.label(label)
    }
}
