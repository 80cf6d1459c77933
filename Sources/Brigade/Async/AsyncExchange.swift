import BrigadeExecutors
import BrigadeHTTP
import NIOCore
import Synchronization

/// One request that went asynchronous: it waits, holding no thread, for its source's
/// result, its timeout or its client's departure — whichever comes first — and then
/// resumes on a front thread at the return-value step (interceptors' `postHandle`,
/// rendering, writing, `afterCompletion`). It is never routed a second time.
final class AsyncExchange: Sendable {
    private struct Locked {
        var machine = StateMachine()
        var timeoutResult: AsyncOutcome?
        var timer: Scheduler.ScheduledTask?
        var cancellation: CancellationSignal.Registration?
    }

    let request: Request
    private let route: Route
    private let preHandled: Int
    private let writer: HTTPResponseWriter
    private let pipeline: RequestPipeline
    private let source: any AsyncResultSource
    /// How long the asynchronous part may take.
    let timeout: Duration
    private let locked = Mutex(Locked())

    init(request: Request, route: Route, preHandled: Int, writer: HTTPResponseWriter, pipeline: RequestPipeline, source: any AsyncResultSource, timeout: Duration) {
        self.request = request
        self.route = route
        self.preHandled = preHandled
        self.writer = writer
        self.pipeline = pipeline
        self.source = source
        self.timeout = timeout
    }

    var runtime: AsyncRuntime { pipeline.runtime }

    /// Arms the timeout and the disconnect watch, then starts the source. On the front thread.
    func begin() {
        // The process's scheduler thread, not the connection's event loop: arming and
        // disarming from a front thread then wakes nobody.
        let timer = Scheduler.shared.schedule(after: timeout) { [self] in timeoutFired() }
        let registration = request.context.cancellation.onCancel { [self] _ in clientGone() }
        locked.withLock {
            $0.timer = timer
            $0.cancellation = registration
        }
        runtime.pending.insert(self)
        source.start(self)
    }

    /// Offers the source's result. Thread-safe; the first event wins.
    /// - Returns: `true` if this outcome will be rendered (or became the timeout's result).
    @discardableResult
    func receive(_ outcome: AsyncOutcome) -> Bool {
        // Work that failed once the request's deadline passed (a database call cancelled at
        // the deadline, say) failed because of the timeout, even if it beat the timer here.
        let outcome: AsyncOutcome =
            if case .error = outcome, let deadline = request.context.deadline, ContinuousClock.now >= deadline {
                .error(AsyncRequestTimeoutError(timeout: timeout, route: route.template))
            } else {
                outcome
            }
        let action = locked.withLock { locked -> StateMachine.ReceiveAction in
            let action = locked.machine.receive()
            if action == .keepForTimeout { locked.timeoutResult = outcome }
            return action
        }
        switch action {
        case .render:
            disarm()
            runtime.resumeOnFront { [self] in finish(outcome) }
            return true
        case .keepForTimeout:
            return true
        case .reject:
            return false
        }
    }

    private func timeoutFired() {
        runtime.pending.recordTimeout()
        expire(reason: "request timed out after \(timeout)", orElse: AsyncRequestTimeoutError(timeout: timeout, route: route.template))
    }

    /// The server is shutting down and the grace period passed: the request ends as if it
    /// timed out (its timeout result or callbacks apply), else with 503.
    func shutdownExpired() {
        expire(reason: "server shutting down", orElse: HTTPError.serviceUnavailable(detail: "the server is shutting down; try again shortly"))
    }

    /// The timeout path: cancel the work, run the source's timeout callbacks on a front
    /// thread, and answer with what they produced or with `defaultError`.
    private func expire(reason: String, orElse defaultError: any Error) {
        guard locked.withLock({ $0.machine.timeout() }) == .runTimeoutCallbacks else { return }
        disarm()
        // The result is no longer wanted: queued work is dropped, database calls stop.
        request.context.cancellation.cancel(reason: reason)
        source.cancel(.timeout)
        runtime.resumeOnFront { [self] in
            let provided = source.timedOut()
            let kept = locked.withLock { locked -> AsyncOutcome? in
                _ = locked.machine.timeoutCallbacksFinished()
                return locked.timeoutResult
            }
            finish(kept ?? provided ?? .error(defaultError))
        }
    }

    private func clientGone() {
        guard locked.withLock({ $0.machine.clientGone() }) == .abandon else { return }
        disarm()
        source.cancel(.clientGone)
        runtime.resumeOnFront { [self] in
            source.finished()
            pipeline.afterCompletion(request, preHandled: preHandled, response: Response(status: .init(statusCode: 499, reasonPhrase: "Client Closed Request")), error: ClientDisconnectedError())
            runtime.pending.remove(self)
        }
    }

    /// Cancels the timer and the disconnect watch (idempotent).
    private func disarm() {
        let (timer, registration) = locked.withLock { locked in
            defer { locked.timer = nil; locked.cancellation = nil }
            return (locked.timer, locked.cancellation)
        }
        timer?.cancel()
        request.context.cancellation.remove(registration)
    }

    /// Renders and writes the outcome, then ends the request. On a front thread.
    private func finish(_ outcome: AsyncOutcome) {
        let outcome: AsyncOutcome = if case .error(let error) = outcome { source.recover(from: error) } else { outcome }
        pipeline.complete(request, route: route, preHandled: preHandled, outcome: outcome, writer: writer) {
            self.source.finished()
        }
        runtime.pending.remove(self)
    }
}
