extension AsyncExchange {
    /// Decides, for one request, which of result, error, timeout, shutdown and client-gone
    /// wins — from the moment the exchange starts arming (its timer and its departure watch
    /// are being set up) to its end.
    ///
    /// Pure: no locks, no I/O; the exchange calls it under its lock and performs the returned
    /// action outside. Can transition: `arming → waiting | timingOut | finishing | abandoned`,
    /// `waiting → timingOut | finishing | abandoned`, `timingOut → finishing | abandoned`.
    struct StateMachine {
        /// What ends the wait without a result.
        enum Expiry: Equatable {
            /// The request's timeout passed.
            case timeout
            /// The server is shutting down and its grace period passed.
            case shutdown
        }

        enum State {
            /// The timer and the departure watch are being set up; events that come meanwhile
            /// are remembered and acted on once armed.
            case arming(departed: Bool, expired: Expiry?, early: AsyncOutcome?)
            /// The source is working; nothing decided.
            case waiting
            /// The timeout (or shutdown) won; the source's timeout callbacks run and may still
            /// provide one result, kept here.
            case timingOut(Expiry, kept: AsyncOutcome?)
            /// An outcome won and is being rendered.
            case finishing
            /// The client went away first; nothing will be written.
            case abandoned
        }

        enum Action {
            /// Nothing to do.
            case none
            /// Armed: start the source.
            case start
            /// This outcome won: render it on a front thread.
            case render(AsyncOutcome)
            /// The expiry won: count it (a timeout), cancel the work, run the source's
            /// timeout callbacks on a front thread.
            case expire(Expiry)
            /// The timeout callbacks ended: render what they (or a result that came
            /// meanwhile) produced, or, when nothing, the expiry's default error.
            case renderExpired(AsyncOutcome?, Expiry)
            /// The client left: cancel the work, end the request without a response.
            case abandon
            /// (A result) kept as the timeout's.
            case keptForTimeout
            /// (A result) held until the exchange is armed.
            case held
            /// (A result) too late: another event won.
            case reject
        }

        private(set) var state = State.arming(departed: false, expired: nil, early: nil)

        /// The timer and the departure watch are in place.
        mutating func armed() -> Action {
            guard case .arming(let departed, let expired, let early) = state else { return .none }
            if departed {
                state = .abandoned
                return .abandon
            }
            if let early {
                state = .finishing
                return .render(early)
            }
            if let expired {
                state = .timingOut(expired, kept: nil)
                return .expire(expired)
            }
            state = .waiting
            return .start
        }

        /// The source delivered `outcome`.
        mutating func receive(_ outcome: AsyncOutcome) -> Action {
            switch state {
            case .arming(let departed, let expired, early: nil):
                state = .arming(departed: departed, expired: expired, early: outcome)
                return .held
            case .waiting:
                state = .finishing
                return .render(outcome)
            case .timingOut(let expiry, kept: nil):
                state = .timingOut(expiry, kept: outcome)
                return .keptForTimeout
            case .arming, .timingOut, .finishing, .abandoned:
                return .reject
            }
        }

        /// The timer fired, or the shutdown's grace passed.
        mutating func expire(_ expiry: Expiry) -> Action {
            switch state {
            case .arming(let departed, nil, let early):
                state = .arming(departed: departed, expired: expiry, early: early)
                return .none
            case .waiting:
                state = .timingOut(expiry, kept: nil)
                return .expire(expiry)
            case .arming, .timingOut, .finishing, .abandoned:
                return .none
            }
        }

        /// The source's timeout callbacks ended, having produced `provided` (or not).
        mutating func timeoutCallbacksFinished(provided: AsyncOutcome?) -> Action {
            guard case .timingOut(let expiry, let kept) = state else { return .none }
            state = .finishing
            return .renderExpired(kept ?? provided, expiry)
        }

        /// The client went away.
        mutating func clientGone() -> Action {
            switch state {
            case .arming(_, let expired, let early):
                state = .arming(departed: true, expired: expired, early: early)
                return .none
            case .waiting, .timingOut:
                state = .abandoned
                return .abandon
            case .finishing, .abandoned:
                return .none
            }
        }
    }
}
