import BrigadeExecutors
import BrigadeHTTP
import NIOCore
import Synchronization

/// One request that went asynchronous: it waits, holding no thread, for its source's
/// result, its timeout or its client's departure — whichever comes first — and then
/// resumes on a front thread at the return-value step (interceptors' `postHandle`,
/// rendering, writing, `afterCompletion`). It is never routed a second time.
///
/// It times the asynchronous part: the request's ``RequestStopwatch`` is kept under the lock
/// while it waits, and the event that wins ends the wait in it (as back-queue and back time
/// for work on a back executor, else as async time) before the stopwatch travels on, by
/// value, to the front thread that renders.
final class AsyncExchange: Sendable {
    private struct Locked {
        var machine = StateMachine()
        var timeoutResult: AsyncOutcome?
        var timer: Scheduler.ScheduledTask?
        var cancellation: CancellationSignal.Registration?
        var stopwatch: RequestStopwatch
    }

    let request: Request
    private let route: Route
    private let preHandled: Int
    private let writer: HTTPResponseWriter
    private let pipeline: RequestPipeline
    private let source: any AsyncResultSource
    /// How long the asynchronous part may take.
    let timeout: Duration
    private let locked: Mutex<Locked>
    /// When the source's work started on a back thread (``monotonicNanoseconds()``), 0 until
    /// then; written once by that thread, read by whichever event wins.
    private let backStartedAt = Atomic<UInt64>(0)

    init(
        request: Request, route: Route, preHandled: Int, writer: HTTPResponseWriter, pipeline: RequestPipeline,
        source: any AsyncResultSource, timeout: Duration, stopwatch: RequestStopwatch
    ) {
        self.request = request
        self.route = route
        self.preHandled = preHandled
        self.writer = writer
        self.pipeline = pipeline
        self.source = source
        self.timeout = timeout
        self.locked = Mutex(Locked(stopwatch: stopwatch))
    }

    var runtime: AsyncRuntime { pipeline.runtime }

    /// Arms the timeout and the disconnect watch, then starts the source. On the front thread.
    func begin() {
        // The process's scheduler thread, not the connection's event loop: arming and
        // disarming from a front thread then wakes nobody.
        let timer = Scheduler.shared.schedule(after: timeout) { [self] in timeoutFired() }
        let registration = request.context.cancellation.onCancel { [self] _ in clientGone() }
        runtime.pending.insert(self)
        locked.withLock {
            $0.timer = timer
            $0.cancellation = registration
            $0.stopwatch.endFront()  // the front thread's part ends as the work starts
        }
        source.start(self)
    }

    /// The source's work started on a back thread: the wait for a back thread ends here.
    func backStarted() {
        backStartedAt.store(monotonicNanoseconds(), ordering: .relaxed)
    }

    /// Ends the asynchronous wait in the stopwatch now; under the lock, by the winning event.
    private func endWait(_ stopwatch: inout RequestStopwatch) {
        stopwatch.endFront()  // in case the client left before begin() ended it
        stopwatch.lapAsynchronous(onBackExecutor: source.runsOnBackExecutor, backStartedAt: backStartedAt.load(ordering: .relaxed))
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
        let (action, stopwatch) = locked.withLock { locked -> (StateMachine.ReceiveAction, RequestStopwatch) in
            let action = locked.machine.receive()
            if action == .keepForTimeout { locked.timeoutResult = outcome }
            if action == .render { endWait(&locked.stopwatch) }
            return (action, locked.stopwatch)
        }
        switch action {
        case .render:
            disarm()
            runtime.resumeOnFront { [self] in
                var stopwatch = stopwatch
                stopwatch.lap(.frontQueue)
                finish(outcome, stopwatch: stopwatch)
            }
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
        let timedOut = locked.withLock { locked -> RequestStopwatch? in
            guard locked.machine.timeout() == .runTimeoutCallbacks else { return nil }
            endWait(&locked.stopwatch)
            return locked.stopwatch
        }
        guard let timedOut else { return }
        disarm()
        // The result is no longer wanted: queued work is dropped, database calls stop.
        request.context.cancellation.cancel(reason: reason)
        source.cancel(.timeout)
        runtime.resumeOnFront { [self] in
            var stopwatch = timedOut
            stopwatch.lap(.frontQueue)
            let provided = source.timedOut()
            let (stillOurs, kept) = locked.withLock { locked -> (Bool, AsyncOutcome?) in
                (locked.machine.timeoutCallbacksFinished(), locked.timeoutResult)
            }
            // Not ours if the machine was abandoned meanwhile: clientGone() then ends the
            // request, once. (The disconnect watch is disarmed above, so today nothing calls
            // it in this phase; the guard keeps "exactly once" should that change.)
            guard stillOurs else { return }
            finish(kept ?? provided ?? .error(defaultError), stopwatch: stopwatch)
        }
    }

    private func clientGone() {
        let abandoned = locked.withLock { locked -> RequestStopwatch? in
            guard locked.machine.clientGone() == .abandon else { return nil }
            endWait(&locked.stopwatch)
            return locked.stopwatch
        }
        guard let abandoned else { return }
        disarm()
        source.cancel(.clientGone)
        runtime.resumeOnFront { [self] in
            source.finished()
            let response = Response(status: .clientClosedRequest)
            pipeline.afterCompletion(request, preHandled: preHandled, response: response, error: ClientDisconnectedError())
            pipeline.notify(request, response: response, stopwatch: abandoned)
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
    private func finish(_ outcome: AsyncOutcome, stopwatch: RequestStopwatch) {
        let outcome: AsyncOutcome = if case .error(let error) = outcome { source.recover(from: error) } else { outcome }
        pipeline.complete(request, route: route, preHandled: preHandled, outcome: outcome, writer: writer, stopwatch: stopwatch) {
            self.source.finished()
        }
        runtime.pending.remove(self)
    }
}
