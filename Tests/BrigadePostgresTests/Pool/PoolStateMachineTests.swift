@testable import BrigadePostgres
import Testing

@Suite("Pool state machine")
struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<String>
    let site = LeaseSite(thread: "t", fileID: "f", line: 1, function: "fn")
    let t0 = ContinuousClock.now

    func machine(max: Int = 2, minIdle: Int = 0, lifetime: Duration? = nil, leak: Duration? = nil) -> Machine {
        Machine(settings: .init(
            maxSize: max, minIdle: minIdle, idleTimeout: .seconds(60), maxLifetime: lifetime,
            validationThreshold: .milliseconds(500), leakDetectionThreshold: leak))
    }

    @Test("below max size a lease creates a connection; at max size callers wait and are served FIFO")
    func fifoWaiters() {
        var m = machine(max: 1)
        guard case (.create(let slot), _) = m.leaseRequested(now: t0, site: site) else { Issue.record("expected create"); return }
        m.connectedForLease(slot, "c1", now: t0, site: site)
        guard case (.wait(let w1), _) = m.leaseRequested(now: t0, site: site),
              case (.wait(let w2), _) = m.leaseRequested(now: t0, site: site) else { Issue.record("expected waits"); return }
        let actions = m.released(slot, broken: false, now: t0)
        #expect(actions.handoffs.count == 1)
        #expect(actions.handoffs.first?.waiter == w1)
        #expect(m.waiters.map(\.id) == [w2])
        #expect(m.leasedCount == 1)
    }

    @Test("a waiter that timed out leaves the queue; one already served cannot leave")
    func waiterLeaves() {
        var m = machine(max: 1)
        guard case (.create(let slot), _) = m.leaseRequested(now: t0, site: site) else { return }
        m.connectedForLease(slot, "c1", now: t0, site: site)
        guard case (.wait(let w1), _) = m.leaseRequested(now: t0, site: site) else { return }
        _ = m.released(slot, broken: false, now: t0)
        #expect(m.waiterLeft(w1) == false)
        guard case (.wait(let w2), _) = m.leaseRequested(now: t0, site: site) else { return }
        #expect(m.waiterLeft(w2) == true)
    }

    @Test("a broken connection is closed and its slot goes to the first waiter to open anew")
    func brokenReplaced() {
        var m = machine(max: 1)
        guard case (.create(let slot), _) = m.leaseRequested(now: t0, site: site) else { return }
        m.connectedForLease(slot, "c1", now: t0, site: site)
        guard case (.wait(let w1), _) = m.leaseRequested(now: t0, site: site) else { return }
        let actions = m.released(slot, broken: true, now: t0)
        #expect(actions.close == ["c1"])
        guard case .create = actions.handoffs.first?.wake else { Issue.record("expected create handoff"); return }
        #expect(actions.handoffs.first?.waiter == w1)
    }

    @Test("connections past max lifetime are closed on return and skipped when idle")
    func maxLifetime() {
        var m = machine(max: 2, lifetime: .seconds(10))
        guard case (.create(let slot), _) = m.leaseRequested(now: t0, site: site) else { return }
        m.connectedForLease(slot, "old", now: t0, site: site)
        _ = m.released(slot, broken: false, now: t0 + .seconds(1))
        let (decision, actions) = m.leaseRequested(now: t0 + .seconds(11), site: site)
        #expect(actions.close == ["old"])
        guard case .create = decision else { Issue.record("expected a new connection"); return }
    }

    @Test("a lease held past the leak threshold is reported once")
    func leakReportedOnce() {
        var m = machine(leak: .seconds(2))
        guard case (.create(let slot), _) = m.leaseRequested(now: t0, site: site) else { return }
        m.connectedForLease(slot, "c1", now: t0, site: site)
        #expect(m.housekeeping(now: t0 + .seconds(1)).leaks.isEmpty)
        #expect(m.housekeeping(now: t0 + .seconds(3)).leaks.first?.site == site)
        #expect(m.housekeeping(now: t0 + .seconds(4)).leaks.isEmpty)
    }

    @Test("housekeeping refills to min idle and retires connections idle too long")
    func minIdleAndIdleTimeout() {
        var m = machine(max: 3, minIdle: 1)
        let create = m.housekeeping(now: t0).create
        #expect(create.count == 1)
        _ = m.connectedForPool(create[0], "c1", now: t0)
        #expect(m.housekeeping(now: t0 + .seconds(61)).close.isEmpty)  // kept: it is the min idle
        #expect(m.idleCount == 1)
    }
}
