import Logging
import DequeModule

/// Where a connection was taken from the pool, for leak reports.
public struct LeaseSite: Sendable, Hashable {
    /// The name of the thread that took it (`back:reports-2`).
    public let thread: String
    /// `#fileID` of the caller.
    public let fileID: String
    /// `#line` of the caller.
    public let line: UInt
    /// `#function` of the caller.
    public let function: String

    /// The site as log metadata: thread, file, line, function.
    var metadata: Logger.Metadata {
        ["thread": .string(thread), "file": .string(fileID), "line": .stringConvertible(line), "function": .string(function)]
    }
}

/// The pool's bookkeeping: which connections exist, which are idle or leased, who waits.
///
/// Pure: no I/O, no locks, no clock of its own (every event gets `now`). The pool calls it
/// with its lock held and carries out the returned actions after unlocking. Generic over
/// the connection so it can be tested with stand-ins.
struct PoolStateMachine<Connection> {
    typealias SlotID = Int
    typealias WaiterID = Int

    struct Settings {
        var maxSize: Int
        var minIdle: Int
        var idleTimeout: Duration?
        var maxLifetime: Duration?
        var validationThreshold: Duration
        var leakDetectionThreshold: Duration?
    }

    enum SlotState {
        case connecting
        case idle(Connection, since: ContinuousClock.Instant)
        case leased(Connection, since: ContinuousClock.Instant, site: LeaseSite, leakReported: Bool)
    }

    struct Slot {
        var state: SlotState
        var openedAt: ContinuousClock.Instant?
    }

    /// What a lease request gets.
    enum LeaseDecision {
        /// Use this idle connection (after validating it when `validate`).
        case use(SlotID, Connection, validate: Bool)
        /// Open a connection for this slot, which is reserved for the caller.
        case create(SlotID)
        /// Wait to be woken with a ``Wake``.
        case wait(WaiterID)
        /// The pool is shut down.
        case shutDown
    }

    /// What wakes a waiter.
    enum Wake {
        case use(SlotID, Connection, validate: Bool)
        case create(SlotID)
        case shutDown
    }

    struct Handoff {
        let waiter: WaiterID
        let wake: Wake
    }

    struct Leak {
        let slot: SlotID
        let site: LeaseSite
        let heldFor: Duration
    }

    /// Work for the caller to do outside the lock.
    struct Actions {
        var handoffs: [Handoff] = []
        var close: [Connection] = []
        var create: [SlotID] = []
        var leaks: [Leak] = []
    }

    private(set) var settings: Settings
    private(set) var slots: [SlotID: Slot] = [:]
    /// Idle slots, most recently returned last (leased LIFO so surplus ones age out).
    private(set) var idle: [SlotID] = []
    private(set) var waiters = Deque<(id: WaiterID, site: LeaseSite)>()
    private(set) var isShutDown = false
    private var nextSlot = 0
    private var nextWaiter = 0

    init(settings: Settings) { self.settings = settings }

    var total: Int { slots.count }
    var idleCount: Int { idle.count }
    var connectingCount: Int { slots.values.count { if case .connecting = $0.state { true } else { false } } }
    var leasedCount: Int { total - idleCount - connectingCount }

    // MARK: events

    /// A caller wants a connection.
    /// - Parameter preferred: The slot this caller used last: taken first when idle (like
    ///   HikariCP's thread-local bag), so a thread keeps talking to the same server process,
    ///   which the kernel then schedules next to it.
    mutating func leaseRequested(now: ContinuousClock.Instant, site: LeaseSite, preferred: SlotID? = nil) -> (LeaseDecision, Actions) {
        var actions = Actions()
        guard !isShutDown else { return (.shutDown, actions) }
        if let preferred, let index = idle.lastIndex(of: preferred) {
            idle.swapAt(index, idle.count - 1)
        }
        while let id = idle.popLast() {
            guard let slot = slots[id], case .idle(let connection, let since) = slot.state else { continue }
            if isExpired(slot, now: now) {
                slots[id] = nil
                actions.close.append(connection)
                continue
            }
            slots[id]?.state = .leased(connection, since: now, site: site, leakReported: false)
            let validate = since.duration(to: now) >= settings.validationThreshold
            return (.use(id, connection, validate: validate), actions)
        }
        if waiters.isEmpty, total < settings.maxSize {
            return (.create(reserveSlot()), actions)
        }
        nextWaiter += 1
        waiters.append((nextWaiter, site))
        return (.wait(nextWaiter), actions)
    }

    /// A connection the caller opened for its reserved slot is ready (the caller keeps it).
    mutating func connectedForLease(_ id: SlotID, _ connection: Connection, now: ContinuousClock.Instant, site: LeaseSite) {
        slots[id] = Slot(state: .leased(connection, since: now, site: site, leakReported: false), openedAt: now)
    }

    /// A connection opened by housekeeping is ready: it goes to the first waiter or is idle.
    mutating func connectedForPool(_ id: SlotID, _ connection: Connection, now: ContinuousClock.Instant) -> Actions {
        var actions = Actions()
        guard !isShutDown else {
            slots[id] = nil
            actions.close.append(connection)
            return actions
        }
        slots[id] = Slot(state: .idle(connection, since: now), openedAt: now)
        idle.append(id)
        handOffIdle(now: now, into: &actions)
        return actions
    }

    /// Opening a connection for a slot failed for good (the opener gave up).
    mutating func connectFailed(_ id: SlotID) -> Actions {
        slots[id] = nil
        var actions = Actions()
        offerFreeSlots(into: &actions)
        return actions
    }

    /// A leased connection failed validation; its slot stays reserved while the caller opens
    /// a new one.
    mutating func reconnecting(_ id: SlotID) {
        slots[id] = Slot(state: .connecting, openedAt: nil)
    }

    /// A caller gives a connection back.
    /// - Parameter broken: Whether it can't be used again (the pool closes it).
    mutating func released(_ id: SlotID, broken: Bool, now: ContinuousClock.Instant) -> Actions {
        var actions = Actions()
        guard let slot = slots[id], case .leased(let connection, _, _, _) = slot.state else { return actions }
        if broken || isShutDown || isExpired(slot, now: now) {
            slots[id] = nil
            actions.close.append(connection)
            offerFreeSlots(into: &actions)
            return actions
        }
        slots[id]?.state = .idle(connection, since: now)
        idle.append(id)
        handOffIdle(now: now, into: &actions)
        return actions
    }

    /// A waiter stopped waiting (timeout, cancellation).
    /// - Returns: `true` if it was still queued; `false` if a handoff to it is already under way.
    mutating func waiterLeft(_ waiter: WaiterID) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.id == waiter }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Periodic upkeep: retire idle and old connections, report leaks, refill to `minIdle`.
    mutating func housekeeping(now: ContinuousClock.Instant) -> Actions {
        var actions = Actions()
        guard !isShutDown else { return actions }
        // Oldest idle first (the front of `idle`).
        var keep: [SlotID] = []
        for id in idle {
            guard let slot = slots[id], case .idle(let connection, let since) = slot.state else { continue }
            let idleTooLong = settings.idleTimeout.map { since.duration(to: now) >= $0 } ?? false
            if isExpired(slot, now: now) || (idleTooLong && total > settings.minIdle) {
                slots[id] = nil
                actions.close.append(connection)
            } else {
                keep.append(id)
            }
        }
        idle = keep
        if let threshold = settings.leakDetectionThreshold {
            for (id, slot) in slots {
                guard case .leased(let connection, let since, let site, false) = slot.state,
                    since.duration(to: now) >= threshold
                else { continue }
                slots[id]?.state = .leased(connection, since: since, site: site, leakReported: true)
                actions.leaks.append(Leak(slot: id, site: site, heldFor: since.duration(to: now)))
            }
        }
        offerFreeSlots(into: &actions)
        while total < settings.maxSize, idleCount + connectingCount < settings.minIdle {
            actions.create.append(reserveSlot())
        }
        return actions
    }

    /// Shuts the pool: idle connections close now, leased ones when returned, waiters fail.
    mutating func shutDown() -> Actions {
        var actions = Actions()
        guard !isShutDown else { return actions }
        isShutDown = true
        for id in idle {
            if let slot = slots[id], case .idle(let connection, _) = slot.state { actions.close.append(connection) }
            slots[id] = nil
        }
        idle.removeAll()
        while let waiter = waiters.popFirst() { actions.handoffs.append(Handoff(waiter: waiter.id, wake: .shutDown)) }
        return actions
    }

    // MARK: helpers

    private func isExpired(_ slot: Slot, now: ContinuousClock.Instant) -> Bool {
        guard let lifetime = settings.maxLifetime, let openedAt = slot.openedAt else { return false }
        return openedAt.duration(to: now) >= lifetime
    }

    private mutating func reserveSlot() -> SlotID {
        nextSlot += 1
        slots[nextSlot] = Slot(state: .connecting, openedAt: nil)
        return nextSlot
    }

    /// Gives idle connections to waiters, oldest waiter first.
    private mutating func handOffIdle(now: ContinuousClock.Instant, into actions: inout Actions) {
        while !waiters.isEmpty, let id = idle.popLast() {
            guard let slot = slots[id], case .idle(let connection, let since) = slot.state, let waiter = waiters.popFirst() else {
                continue
            }
            let validate = since.duration(to: now) >= settings.validationThreshold
            slots[id]?.state = .leased(connection, since: now, site: waiter.site, leakReported: false)
            actions.handoffs.append(Handoff(waiter: waiter.id, wake: .use(id, connection, validate: validate)))
        }
    }

    /// When there is room below `maxSize`, lets the first waiters open connections.
    private mutating func offerFreeSlots(into actions: inout Actions) {
        while total < settings.maxSize, let waiter = waiters.popFirst() {
            actions.handoffs.append(Handoff(waiter: waiter.id, wake: .create(reserveSlot())))
        }
    }
}
