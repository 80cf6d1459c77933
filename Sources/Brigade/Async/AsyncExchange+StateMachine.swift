extension AsyncExchange {
    /// Decides, for one request, which of result, error, timeout and client-gone wins.
    ///
    /// Pure: no locks, no I/O; the exchange calls it under its lock and performs the
    /// returned action outside.
    struct StateMachine {
        enum State: Equatable {
            /// The source is working; nothing decided.
            case waiting
            /// The timeout won; the source's timeout callbacks are running and may still
            /// provide one result.
            case timingOut(hasResult: Bool)
            /// An outcome won and is being rendered.
            case rendering
            /// The client went away first; nothing will be written.
            case abandoned
        }

        enum ReceiveAction: Equatable {
            /// Render this outcome on a front thread: it won.
            case render
            /// Keep it as the timeout's result: it won the timeout phase.
            case keepForTimeout
            /// Too late: another event already won.
            case reject
        }

        enum TimeoutAction: Equatable {
            /// Cancel the work and run the source's timeout callbacks on a front thread.
            case runTimeoutCallbacks
            case none
        }

        enum ClientGoneAction: Equatable {
            /// Cancel the work and finish the request without a response.
            case abandon
            case none
        }

        private(set) var state = State.waiting

        mutating func receive() -> ReceiveAction {
            switch state {
            case .waiting:
                state = .rendering
                return .render
            case .timingOut(hasResult: false):
                state = .timingOut(hasResult: true)
                return .keepForTimeout
            case .timingOut(hasResult: true), .rendering, .abandoned:
                return .reject
            }
        }

        mutating func timeout() -> TimeoutAction {
            guard state == .waiting else { return .none }
            state = .timingOut(hasResult: false)
            return .runTimeoutCallbacks
        }

        /// The timeout callbacks ended; whatever they produced (or the default) is rendered.
        mutating func timeoutCallbacksFinished() -> Bool {
            guard case .timingOut = state else { return false }
            state = .rendering
            return true
        }

        mutating func clientGone() -> ClientGoneAction {
            switch state {
            case .waiting, .timingOut:
                state = .abandoned
                return .abandon
            case .rendering, .abandoned:
                return .none
            }
        }
    }
}
