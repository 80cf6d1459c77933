@testable import Brigade
import Testing

/// The per-request decision, tested through its actions: no threads, no clock.
@Suite struct AsyncExchangeStateMachineTests {
    typealias Machine = AsyncExchange.StateMachine

    @Test func theFirstResultWinsAndLaterEventsLose() {
        var machine = Machine()
        #expect(machine.receive() == .render)
        #expect(machine.receive() == .reject)
        #expect(machine.timeout() == .none)
        #expect(machine.clientGone() == .none)
    }

    @Test func aTimeoutAcceptsOneResultFromItsCallbacks() {
        var machine = Machine()
        #expect(machine.timeout() == .runTimeoutCallbacks)
        #expect(machine.receive() == .keepForTimeout)
        #expect(machine.receive() == .reject)
        let finished = machine.timeoutCallbacksFinished()
        #expect(finished)
        #expect(machine.receive() == .reject)
        #expect(machine.clientGone() == .none)
    }

    @Test func aDepartedClientAbandonsTheRequest() {
        var machine = Machine()
        #expect(machine.clientGone() == .abandon)
        #expect(machine.receive() == .reject)
        #expect(machine.timeout() == .none)
        #expect(machine.clientGone() == .none)
    }

    @Test func aClientLeavingDuringTheTimeoutCallbacksAbandonsIt() {
        var machine = Machine()
        #expect(machine.timeout() == .runTimeoutCallbacks)
        #expect(machine.clientGone() == .abandon)
        let finished = machine.timeoutCallbacksFinished()
        #expect(!finished)
    }
}

@Suite struct DeferredResultStateMachineTests {
    typealias Machine = DeferredResult<Int>.StateMachine

    @Test func aResultSetBeforeAttachIsHeldAndDeliveredOnAttach() throws {
        var machine = Machine()
        guard case .held = machine.set(.value(1)) else { Issue.record("not held"); return }
        #expect(machine.isSetOrExpired)
        #expect(machine.hasResult)
        guard case .reject = machine.set(.value(2)) else { Issue.record("second set accepted"); return }
    }

    @Test func expiringIsFinalAndIdempotent() {
        var machine = Machine()
        machine.expire()
        #expect(machine.isSetOrExpired)
        #expect(!machine.hasResult)
        guard case .reject = machine.set(.value(1)) else { Issue.record("set after expiry accepted"); return }
        machine.expire()
        #expect(machine.isSetOrExpired)
    }
}
