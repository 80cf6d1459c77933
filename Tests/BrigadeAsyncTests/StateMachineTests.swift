@testable import Brigade
import Testing

/// The per-request decision, tested through its actions: no threads, no clock.
@Suite struct AsyncExchangeStateMachineTests {
    typealias Machine = AsyncExchange.StateMachine

    /// An action's name, for comparisons (outcomes are not `Equatable`).
    private func name(_ action: Machine.Action) -> String {
        switch action {
        case .none: "none"
        case .start: "start"
        case .render(.value): "render(value)"
        case .render(.error): "render(error)"
        case .expire(.timeout): "expire(timeout)"
        case .expire(.shutdown): "expire(shutdown)"
        case .renderExpired(nil, _): "renderExpired(default)"
        case .renderExpired(.some(.value), _): "renderExpired(value)"
        case .renderExpired(.some(.error), _): "renderExpired(error)"
        case .abandon: "abandon"
        case .keptForTimeout: "keptForTimeout"
        case .held: "held"
        case .reject: "reject"
        }
    }

    private func armed() -> Machine {
        var machine = Machine()
        _ = machine.armed()
        return machine
    }

    private let value = AsyncOutcome.value("ok")

    @Test func armingStartsTheSource() {
        var machine = Machine()
        #expect(name(machine.armed()) == "start")
        #expect(name(machine.armed()) == "none")
    }

    @Test func theFirstResultWinsAndLaterEventsLose() {
        var machine = armed()
        #expect(name(machine.receive(value)) == "render(value)")
        #expect(name(machine.receive(value)) == "reject")
        #expect(name(machine.expire(.timeout)) == "none")
        #expect(name(machine.clientGone()) == "none")
    }

    @Test func aTimeoutAcceptsOneResultFromItsCallbacks() {
        var machine = armed()
        #expect(name(machine.expire(.timeout)) == "expire(timeout)")
        #expect(name(machine.receive(value)) == "keptForTimeout")
        #expect(name(machine.receive(.error(HTTPError(.conflict)))) == "reject")
        // The kept result beats what the callbacks returned.
        #expect(name(machine.timeoutCallbacksFinished(provided: .error(HTTPError(.gone)))) == "renderExpired(value)")
        #expect(name(machine.receive(value)) == "reject")
        #expect(name(machine.clientGone()) == "none")
    }

    @Test func aTimeoutWithoutAResultRendersWhatTheCallbacksProvidedOrTheDefault() {
        var provided = armed()
        _ = provided.expire(.timeout)
        #expect(name(provided.timeoutCallbacksFinished(provided: value)) == "renderExpired(value)")
        var nothing = armed()
        #expect(name(nothing.expire(.shutdown)) == "expire(shutdown)")
        #expect(name(nothing.timeoutCallbacksFinished(provided: nil)) == "renderExpired(default)")
    }

    @Test func aDepartedClientAbandonsTheRequest() {
        var machine = armed()
        #expect(name(machine.clientGone()) == "abandon")
        #expect(name(machine.receive(value)) == "reject")
        #expect(name(machine.expire(.timeout)) == "none")
        #expect(name(machine.clientGone()) == "none")
    }

    @Test func aClientLeavingDuringTheTimeoutCallbacksAbandonsIt() {
        var machine = armed()
        #expect(name(machine.expire(.timeout)) == "expire(timeout)")
        #expect(name(machine.clientGone()) == "abandon")
        #expect(name(machine.timeoutCallbacksFinished(provided: value)) == "none")
    }

    /// The review's D1: a client that left while the handler ran was acted on before the
    /// timer and the pending entry were in place. Now it is remembered while arming, acted on
    /// once armed, and the timer that then fires is not a timeout.
    @Test func aDepartureWhileArmingAbandonsOnceArmedAndNothingTimesOutAfter() {
        var machine = Machine()
        #expect(name(machine.clientGone()) == "none")
        #expect(name(machine.armed()) == "abandon")
        #expect(name(machine.expire(.timeout)) == "none")
        #expect(name(machine.receive(value)) == "reject")
    }

    @Test func anExpiryWhileArmingExpiresOnceArmed() {
        var machine = Machine()
        #expect(name(machine.expire(.timeout)) == "none")
        #expect(name(machine.armed()) == "expire(timeout)")
        #expect(name(machine.timeoutCallbacksFinished(provided: nil)) == "renderExpired(default)")
    }

    @Test func aResultWhileArmingIsRenderedOnceArmed() {
        var machine = Machine()
        #expect(name(machine.receive(value)) == "held")
        #expect(name(machine.receive(value)) == "reject")
        #expect(name(machine.armed()) == "render(value)")
    }
}

@Suite struct DeferredResultStateMachineTests {
    /// The waiting request is a plain value here.
    typealias Machine = DeferredResult<Int>.StateMachine<String>

    @Test func aResultSetBeforeAttachIsHeldAndDeliveredOnAttach() throws {
        var machine = Machine()
        #expect({ if case .held = machine.set(.value("1")) { true } else { false } }())
        #expect(machine.isSetOrExpired)
        #expect(machine.hasResult)
        #expect({ if case .reject = machine.set(.value("2")) { true } else { false } }(), "a second result was accepted")
        let attached = machine.attach("request")
        #expect({ if case .deliver(.value) = attached { true } else { false } }(), "the held result was not delivered on attach")
        #expect(machine.hasResult)
    }

    @Test func aResultSetAfterAttachIsDeliveredToTheRequest() throws {
        var machine = Machine()
        #expect({ if case .wait = machine.attach("request") { true } else { false } }())
        #expect(!machine.isSetOrExpired)
        #expect({ if case .deliver = machine.set(.value("1")) { true } else { false } }())
        #expect({ if case .reject = machine.set(.value("2")) { true } else { false } }())
    }

    @Test func attachingTwiceIsInvalid() throws {
        var machine = Machine()
        _ = machine.attach("request")
        #expect({ if case .invalid = machine.attach("request") { true } else { false } }())
    }

    @Test func expiringIsFinalAndIdempotent() {
        var machine = Machine()
        machine.expire()
        #expect(machine.isSetOrExpired)
        #expect(!machine.hasResult)
        #expect({ if case .reject = machine.set(.value("1")) { true } else { false } }(), "a result after expiry was accepted")
        machine.expire()
        #expect(machine.isSetOrExpired)
    }
}
