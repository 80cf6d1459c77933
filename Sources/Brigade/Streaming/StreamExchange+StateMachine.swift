extension StreamExchange {
    /// Decides, for one streamed response, what each event does: the producer committing the
    /// head, completing or failing; the timeout; the client leaving; the stream closing.
    ///
    /// Pure: the exchange calls it under its lock and acts outside. Can transition:
    /// `opening → open | finished`, `open → timingOut | closing | finished`,
    /// `timingOut → closing | finished`, `closing → finished`.
    struct StateMachine {
        enum State: Equatable {
            /// The head is not written yet: an error still gets an ordinary error response.
            case opening
            /// The head is written; the producer writes the body.
            case open
            /// The timeout passed; its callbacks run and may end the stream themselves.
            case timingOut
            /// The end (or the connection's close) was asked for with this ending; waiting for
            /// the stream to close.
            case closing(StreamEnding)
            /// Over: `onCompletion`, `afterCompletion` and the observers ran or are running.
            case finished
        }

        enum Action: Equatable {
            case none
            /// Write the head; the body follows.
            case commit
            /// Before the head: answer with the error instead (through the error handlers).
            case respondWithError
            /// Before the head: the timeout passed (its callbacks run, then `503` unless they
            /// answered), or the server shut down (`503`).
            case expireBeforeCommit(StreamEnding)
            /// Before the head: the client left; finish without writing.
            case abandon
            /// Ask the stream for its end (after what is buffered).
            case endStream
            /// Close the connection now: the body is incomplete.
            case abortStream
            /// Run the timeout callbacks (on a front thread).
            case runTimeoutCallbacks
            /// The stream closed: finish the request with this ending.
            case finish(StreamEnding)
        }

        private(set) var state = State.opening

        /// The producer is ready to write: the head goes out.
        mutating func commit() -> Action {
            guard state == .opening else { return .none }
            state = .open
            return .commit
        }

        /// The producer failed. Before the head: an ordinary error response; after it: the
        /// connection is closed (the client sees a truncated body).
        mutating func fail() -> Action {
            switch state {
            case .opening:
                state = .finished
                return .respondWithError
            case .open, .timingOut:
                state = .closing(.failed)
                return .abortStream
            case .closing, .finished:
                return .none
            }
        }

        /// The producer completed (or the heartbeat found the client stalled, or the server
        /// is shutting down).
        mutating func end(_ ending: StreamEnding) -> Action {
            switch state {
            case .opening where ending == .shutdown:
                state = .finished
                return .expireBeforeCommit(.shutdown)
            case .opening:
                return .none  // the producer commits before it ends
            case .open, .timingOut:
                state = .closing(ending)
                return ending == .stalled ? .abortStream : .endStream
            case .closing, .finished:
                return .none
            }
        }

        /// The timeout passed.
        mutating func timeout() -> Action {
            switch state {
            case .opening:
                state = .finished
                return .expireBeforeCommit(.timedOut)
            case .open:
                state = .timingOut
                return .runTimeoutCallbacks
            case .timingOut, .closing, .finished:
                return .none
            }
        }

        /// The timeout callbacks ran; if none ended the stream, it ends now.
        mutating func timeoutCallbacksFinished() -> Action {
            guard state == .timingOut else { return .none }
            state = .closing(.timedOut)
            return .endStream
        }

        /// The client went away before the head was written (after it, the stream's close
        /// says so).
        mutating func clientGone() -> Action {
            guard state == .opening else { return .none }
            state = .finished
            return .abandon
        }

        /// The stream closed: its end was written (`ended`), or the connection closed.
        mutating func streamClosed(endWritten: Bool, aborted: Bool) -> Action {
            let ending: StreamEnding
            switch state {
            case .finished, .opening:
                return .none
            case .closing(let asked):
                // An end that was asked for but not written: the client left first.
                ending = endWritten || aborted ? asked : .clientGone
            case .open, .timingOut:
                ending = aborted ? .failed : .clientGone
            }
            state = .finished
            return .finish(ending)
        }
    }
}
