import BrigadeExecutors
import BrigadeHTTP
import Synchronization

/// One request that went asynchronous: it waits, holding no thread, for its source's
/// result, its timeout or its client's departure — whichever comes first (its
/// ``StateMachine`` decides, under one lock) — and then resumes on a front thread at the
/// return-value step (interceptors' `postHandle`, rendering, writing, `afterCompletion`). It
/// is never routed a second time.
///
/// It holds the request's ``RequestExchange`` while it waits, and the winning event takes it
/// (ending the wait in its stopwatch: back-queue and back time for work on a back executor,
/// else async time) to the front thread that finishes the request.
final class AsyncExchange: PendingExchange {
    private struct Locked {
        var machine = StateMachine()
        /// The parked request; taken by the event that ends it.
        var exchange: RequestExchange?
        var timer: Scheduler.ScheduledTask?
        var registration: CancellationSignal.Registration?
    }

    private let source: any AsyncResultSource
    /// The request's context, deadline included: what the source's work runs with.
    let context: WorkContext
    /// How long the asynchronous part may take.
    let timeout: Duration
    private let route: String?
    private let services: ExchangeServices
    private let locked: Mutex<Locked>
    /// When the source's work started on a back thread (``monotonicNanoseconds()``), 0 until
    /// then; written once by that thread, read by whichever event wins.
    private let backStartedAt = Atomic<UInt64>(0)

    private init(_ exchange: RequestExchange, source: any AsyncResultSource, timeout: Duration) {
        self.source = source
        self.context = exchange.request.context
        self.timeout = timeout
        self.route = exchange.request.route
        self.services = exchange.services
        self.locked = Mutex(Locked(exchange: exchange))
    }

    /// The back executors a source runs its work on.
    var executors: BackExecutors { services.executors }

    /// The front pool, as the executor `async` handlers' tasks prefer.
    var frontPool: ThreadPool { services.front }

    /// Runs a closure on a front thread of the request's server (holding the server's
    /// services, not this exchange: a source may keep it after the request ended).
    var frontResumer: @Sendable (@escaping @Sendable () -> Void) -> Void {
        let services = self.services
        return { services.resumeOnFront($0) }
    }

    /// Parks `exchange` until `source` delivers: sets the request's deadline, tells the
    /// interceptors (`afterConcurrentHandlingStarted`), arms the timeout and the departure
    /// watch, then starts the source. On the front thread that ran the handler.
    static func begin(_ exchange: RequestExchange, source: any AsyncResultSource) {
        let timeout = source.timeout ?? exchange.services.defaultTimeout
        exchange.request.context.deadline = .now + timeout
        for interceptor in exchange.interceptorsThatRan { interceptor.afterConcurrentHandlingStarted(exchange.request) }
        exchange.stopwatch.endFront()  // the front thread's part ends as the work starts
        AsyncExchange(exchange, source: source, timeout: timeout).arm()
    }

    /// Registers with the pending set, the scheduler and the departure signal, then lets the
    /// machine say what to do: events that fired meanwhile (a client that left while the
    /// handler ran) are acted on now, once everything they must undo is in place.
    private func arm() {
        services.pending.insert(self)
        // The process's scheduler thread, not the connection's event loop: arming and
        // disarming from a front thread then wakes nobody.
        let timer = Scheduler.shared.schedule(after: timeout) { [self] in expire(.timeout) }
        let registration = context.cancellation.onCancel { [self] _ in clientGone() }
        let action = locked.withLock { locked in
            locked.timer = timer
            locked.registration = registration
            return locked.machine.armed()
        }
        perform(action)
        // A long poll that arrived while the server drains is answered at once.
        if endsWhenShutdownBegins, services.pending.isShuttingDown { shutdownExpired() }
    }

    /// The source's work started on a back thread: the wait for a back thread ends here.
    func backStarted() {
        backStartedAt.store(monotonicNanoseconds(), ordering: .relaxed)
    }

    /// Offers the source's result. Thread-safe; the first event wins.
    /// - Returns: `true` if this outcome will be rendered (or became the timeout's result).
    /// - Parameter renderHere: The caller is a front thread that may render the response at
    ///   once (an `async` handler's task, which runs on the front pool), without another hop
    ///   through the front queue.
    @discardableResult
    func receive(_ outcome: AsyncOutcome, renderHere: Bool = false) -> Bool {
        // Work that failed once the request's deadline passed (a database call cancelled at
        // the deadline, say) failed because of the timeout, even if it beat the timer here.
        let outcome: AsyncOutcome =
            if case .error = outcome, let deadline = context.deadline, ContinuousClock.now >= deadline {
                .error(AsyncRequestTimeoutError(timeout: timeout, route: route))
            } else {
                outcome
            }
        let action = locked.withLock { $0.machine.receive(outcome) }
        switch action {
        case .render, .keptForTimeout, .held:
            perform(action, renderHere: renderHere && ThreadTier.current == .front)
            return true
        default:
            return false
        }
    }

    /// The server is shutting down and the grace period passed: the request ends as if it
    /// timed out (its timeout result or callbacks apply), else with 503.
    func shutdownExpired() {
        expire(.shutdown)
    }

    /// Waited for within the shutdown's grace, unless its source is a long poll
    /// (``DeferredResult/endsWhenShutdownBegins``).
    var endsWhenShutdownBegins: Bool { source.endsWhenShutdownBegins }

    private func expire(_ expiry: StateMachine.Expiry) {
        perform(locked.withLock { $0.machine.expire(expiry) })
    }

    private func clientGone() {
        perform(locked.withLock { $0.machine.clientGone() })
    }

    /// Carries out what the machine decided; never under the lock.
    /// - Parameter renderHere: Render on the calling front thread rather than through the
    ///   front queue.
    private func perform(_ action: StateMachine.Action, renderHere: Bool = false) {
        switch action {
        case .none, .keptForTimeout, .held, .reject:
            break
        case .start:
            WorkContext.$current.withValue(context) { source.start(self) }
        case .render(let outcome):
            guard let exchange = takeExchange() else { return }
            let render: @Sendable () -> Void = { [self] in
                exchange.stopwatch.lap(.frontQueue)
                finish(exchange, outcome)
            }
            if renderHere { render() } else { services.resumeOnFront(render) }
        case .expire(let expiry):
            if expiry == .timeout { services.pending.recordTimeout() }
            disarm()
            // The wait ends now; the timeout callbacks count as rendering.
            let backStartedAt = backStartedAt.load(ordering: .relaxed)
            locked.withLock {
                $0.exchange?.stopwatch.endAsynchronousWait(onBackExecutor: source.runsOnBackExecutor, backStartedAt: backStartedAt)
            }
            // The result is no longer wanted: queued work is dropped, database calls stop.
            context.cancellation.cancel(reason: expiry == .timeout ? "request timed out after \(timeout)" : "server shutting down")
            source.cancel(.timeout)
            services.resumeOnFront { [self] in
                locked.withLock { $0.exchange?.stopwatch.lap(.frontQueue) }
                let provided = WorkContext.$current.withValue(context) { source.timedOut() }
                perform(locked.withLock { $0.machine.timeoutCallbacksFinished(provided: provided) })
            }
        case .renderExpired(let outcome, let expiry):
            // On the front thread that ran the timeout callbacks; the wait already ended.
            guard let exchange = takeExchange(endingWait: false) else { return }
            let fallback: any Error =
                expiry == .timeout
                ? AsyncRequestTimeoutError(timeout: timeout, route: route)
                : HTTPError.serviceUnavailable(detail: "the server is shutting down; try again shortly")
            finish(exchange, outcome ?? .error(fallback))
        case .abandon:
            guard let exchange = takeExchange() else { return }
            source.cancel(.clientGone)
            services.resumeOnFront { [self] in
                exchange.stopwatch.lap(.frontQueue)
                WorkContext.$current.withValue(exchange.request.context) {
                    source.finished()
                    exchange.abandon()
                }
                services.pending.remove(self)
            }
        }
    }

    /// Takes the parked request out — ending the wait in its stopwatch, unless the expiry
    /// already did — and disarms the timer and the departure watch. `nil` if another event
    /// took it (cannot happen: the machine lets one event end the request).
    private func takeExchange(endingWait: Bool = true) -> RequestExchange? {
        let backStartedAt = backStartedAt.load(ordering: .relaxed)
        let (exchange, timer, registration) = locked.withLock { locked in
            defer { locked.exchange = nil; locked.timer = nil; locked.registration = nil }
            if endingWait {
                locked.exchange?.stopwatch.endAsynchronousWait(onBackExecutor: source.runsOnBackExecutor, backStartedAt: backStartedAt)
            }
            return (locked.exchange, locked.timer, locked.registration)
        }
        timer?.cancel()
        context.cancellation.remove(registration)
        return exchange
    }

    /// Cancels the timer and the departure watch, keeping the parked request.
    private func disarm() {
        let (timer, registration) = locked.withLock { locked in
            defer { locked.timer = nil; locked.registration = nil }
            return (locked.timer, locked.registration)
        }
        timer?.cancel()
        context.cancellation.remove(registration)
    }

    /// Renders and writes the outcome, then ends the request. On a front thread.
    private func finish(_ exchange: RequestExchange, _ outcome: AsyncOutcome) {
        let outcome: AsyncOutcome = if case .error(let error) = outcome { source.recover(from: error) } else { outcome }
        WorkContext.$current.withValue(exchange.request.context) {
            switch outcome {
            case .value(let generator): exchange.respond(with: generator) { source.finished() }
            case .error(let error): exchange.fail(error) { source.finished() }
            }
        }
        services.pending.remove(self)
    }
}
