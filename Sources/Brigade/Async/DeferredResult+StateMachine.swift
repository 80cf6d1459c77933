extension DeferredResult {
    /// The lifecycle of one deferred result. Pure; the result calls it under its lock and
    /// acts outside. Generic over the request that waits (an ``AsyncExchange``), so that tests
    /// can drive it without one.
    struct StateMachine<Waiter> {
        enum State {
            /// Not yet returned by a handler; a result set now waits here.
            case detached(pending: AsyncOutcome?)
            /// A request waits for the result.
            case attached(Waiter)
            /// The request timed out; its timeout callbacks run and may still set one result.
            case timingOut(Waiter)
            /// A result was handed over (or is held until attach).
            case resultSet
            /// Timed out without a result, or the client left.
            case expired
        }

        enum SetAction {
            /// Held until a request attaches.
            case held
            /// Hand it to the waiting request.
            case deliver(Waiter)
            /// Already set or expired.
            case reject
        }

        enum AttachAction {
            /// A result was set before: deliver it now.
            case deliver(AsyncOutcome)
            /// Wait for one.
            case wait
            /// Returned twice, or already over: answer with an error.
            case invalid
        }

        private(set) var state = State.detached(pending: nil)

        var isSetOrExpired: Bool {
            switch state {
            case .detached(pending: .some), .resultSet, .expired: true
            case .detached(pending: .none), .attached, .timingOut: false
            }
        }

        var hasResult: Bool {
            switch state {
            case .detached(pending: .some), .resultSet: true
            default: false
            }
        }

        mutating func set(_ outcome: AsyncOutcome) -> SetAction {
            switch state {
            case .detached(pending: .none):
                state = .detached(pending: outcome)
                return .held
            case .attached(let exchange), .timingOut(let exchange):
                state = .resultSet
                return .deliver(exchange)
            case .detached(pending: .some), .resultSet, .expired:
                return .reject
            }
        }

        mutating func attach(_ exchange: Waiter) -> AttachAction {
            switch state {
            case .detached(pending: .none):
                state = .attached(exchange)
                return .wait
            case .detached(pending: .some(let outcome)):
                state = .resultSet
                return .deliver(outcome)
            case .attached, .timingOut, .resultSet, .expired:
                return .invalid
            }
        }

        /// The request's timeout won: until the callbacks end, one result may still be set.
        mutating func timeoutStarted() {
            if case .attached(let exchange) = state { state = .timingOut(exchange) }
        }

        /// The timeout callbacks ended.
        mutating func timeoutFinished() {
            if case .timingOut = state { state = .expired }
        }

        /// The client left: no result will be wanted.
        mutating func expire() {
            switch state {
            case .attached, .timingOut, .detached: state = .expired
            case .resultSet, .expired: break
            }
        }
    }
}
