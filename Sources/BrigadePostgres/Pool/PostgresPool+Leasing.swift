import BrigadeExecutors
import Logging

extension PostgresPool {
    // MARK: acquiring

    func acquire(deadline explicit: ContinuousClock.Instant?, site: LeaseSite) throws -> Lease {
        try checkTier(site)
        let scope = try OperationScope.current(deadline: explicit)
        let start = ContinuousClock.now
        let timeoutDeadline = start + configuration.connectionTimeout
        let (deadline, reason): (ContinuousClock.Instant, PoolTimeout.Reason) =
            if let requested = scope.deadline, requested < timeoutDeadline { (requested, .deadline) }
            else { (timeoutDeadline, .connectionTimeout) }

        var waiter: PoolWaiter?
        var fastPath: (timers: PoolTimers?, waited: UInt64)?
        let (first, followup) = state.withLock { locked in
            let (decision, actions) = locked.machine.leaseRequested(now: start, site: site, preferred: lastSlot.get())
            switch decision {
            case .wait(let id):
                let newWaiter = PoolWaiter()
                locked.waiters[id] = newWaiter
                waiter = newWaiter
            case .use(_, _, validate: false):
                // The fast path: count it here rather than taking the lock again (its metrics
                // are recorded below, once unlocked).
                let waited = start.duration(to: .now).clampedNanoseconds
                fastPath = (locked.counters.recordAcquired(nanoseconds: waited), waited)
            default:
                break
            }
            return (decision, Self.resolve(actions, in: &locked))
        }
        if let fastPath { fastPath.timers?.recordQueueWait(nanoseconds: fastPath.waited) }
        run(followup)
        var decision = first
        var counted = true
        if case .use(_, _, validate: false) = first {} else { counted = false }
        while true {
            switch decision {
            case .shutDown:
                throw PostgresError(code: .poolShutdown, message: "the pool is shut down")

            case .use(let slot, let pooled, let validate):
                if validate {
                    let left = ContinuousClock.now.duration(to: deadline)
                    if left <= .zero || !pooled.connection.validate(timeout: min(configuration.validationTimeout, left)) {
                        logger.debug("replacing a connection that failed validation", metadata: ["slot": "\(slot)"])
                        pooled.connection.close()
                        state.withLock {
                            $0.machine.reconnecting(slot)
                            $0.counters.closed += 1
                        }
                        decision = .create(slot)
                        counted = false
                        continue
                    }
                }
                if !counted { recordAcquired(since: start) }
                return Lease(slot: slot, pooled: pooled)

            case .create(let slot):
                let pooled: PooledConnection
                do {
                    pooled = try open(until: deadline, retrying: true)
                } catch {
                    let followup = update { machine, _ in machine.connectFailed(slot) }
                    run(followup)
                    if let failure = error as? PostgresError, failure.code == .cancelled { throw failure }
                    throw timeout(reason, since: start, lastError: error as? PostgresError)
                }
                state.withLock {
                    $0.machine.connectedForLease(slot, pooled, now: .now, site: site)
                    $0.counters.created += 1
                }
                recordAcquired(since: start)
                return Lease(slot: slot, pooled: pooled)

            case .wait(let id):
                guard let waiter else { throw PostgresError.misuse("internal: waiting without a waiter") }
                decision = try wait(waiter, id: id, until: deadline, scope: scope, reason: reason, since: start)
                counted = false
            }
        }
    }

    /// Blocks until `waiter` is handed something, or times out, or is cancelled.
    private func wait(
        _ waiter: PoolWaiter, id: Int, until deadline: ContinuousClock.Instant, scope: OperationScope,
        reason: PoolTimeout.Reason, since start: ContinuousClock.Instant
    ) throws -> PoolStateMachine<PooledConnection>.LeaseDecision {
        let registration = scope.cancellation?.onCancel { [weak self] cancelReason in
            guard let self else { return }
            let removed = self.state.withLock { locked -> Bool in
                guard locked.machine.waiterLeft(id) else { return false }
                locked.waiters[id] = nil
                waiter.outcome = .cancelled(cancelReason)
                return true
            }
            if removed { waiter.semaphore.signal() }
        }
        let signalled = waiter.semaphore.wait(until: deadline)
        scope.cancellation?.remove(registration)
        if !signalled {
            let stillQueued = state.withLock { locked -> Bool in
                guard locked.machine.waiterLeft(id) else { return false }
                locked.waiters[id] = nil
                return true
            }
            if stillQueued { throw timeout(reason, since: start, lastError: nil) }
            waiter.semaphore.wait()  // a handoff won the race; it is on its way
        }
        switch waiter.outcome {
        case .wake(.use(let slot, let pooled, let validate)): return .use(slot, pooled, validate: validate)
        case .wake(.create(let slot)): return .create(slot)
        case .wake(.shutDown), nil: return .shutDown
        case .cancelled(let cancelReason): throw PostgresError.cancelled(cancelReason)
        }
    }

    // MARK: releasing

    func release(_ lease: Lease, heldSince leasedAt: UInt64) {
        lastSlot.set(lease.slot)
        let connection = lease.pooled.connection
        connection.leaseDeadline = nil
        var broken = !connection.isUsable
        if !broken, connection.transactionStatus != .idle {
            // The caller left a transaction open (a raw BEGIN): roll it back before reuse.
            broken = (try? connection.executeScript("ROLLBACK", deadline: .now + configuration.validationTimeout)) == nil
        }
        let held = monotonicNanoseconds() &- leasedAt
        let now = ContinuousClock.now
        let (timers, followup) = state.withLock { locked in
            let timers = locked.counters.recordHeld(nanoseconds: held)
            return (timers, Self.resolve(locked.machine.released(lease.slot, broken: broken, now: now), in: &locked))
        }
        timers?.recordService(nanoseconds: held)
        run(followup)
    }
}
