import BrigadeExecutors

/// One back executor, as the application's code sees it: a handle to give a service, from
/// `app.executors["reports"]`. Three ways to hand it blocking work:
///
/// - ``run(_:)`` — from `async` code: the task suspends (no thread waits) until the work is
///   done; cancelling the task cancels the work.
/// - ``submit(_:)`` — an `@Async`-style service method: starts the work and returns a
///   ``Completable`` to await, compose, or return from a handler as a ``DeferredResult``.
/// - ``launch(_:)`` — fire and forget: no one waits, but nothing is lost silently — errors are
///   logged with the request id, outcomes counted, and graceful shutdown waits for it.
///
/// ```swift
/// struct ReportService {
///     let executor: BackExecutor
///     let repository: ReportRepository
///     func authors() -> Completable<[AuthorReport]> { executor.submit { try repository.authors() } }
/// }
/// ```
///
/// In all three, the caller's ``WorkContext`` travels with the work (request id, logger, user
/// values), the work runs on a thread of the back tier (where blocking database calls
/// belong), and a saturated executor answers with ``RejectedExecutionError`` — a
/// ``SaturationError``, so a request gets `503` at once. Work is never run on the caller's
/// thread, whatever the executor's rejection policy.
public struct BackExecutor: Sendable {
    /// The executor's name (`default`, or the `<name>` of `executors.<name>.*`).
    public let name: String
    private let owner: ApplicationExecutors

    init(name: String, owner: ApplicationExecutors) {
        self.name = name
        self.owner = owner
    }

    /// Runs blocking `body` on this executor and suspends the calling task — without blocking
    /// its thread — until it returns: how `async` code calls blocking code (a libpq query).
    ///
    /// The context's deadline applies; its cancellation reaches the work, and so does the
    /// task's: cancelling the task takes queued work back (it never runs) and fires running
    /// work's cancellation signal (a database query in it is cancelled).
    /// - Returns: What `body` returned.
    /// - Throws: What `body` threw; `CancellationError` when cancelled before it started;
    ///   ``RejectedExecutionError`` when the executor is saturated or shut down;
    ///   ``ExecutorsNotRunningError`` before the server is made.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let (pool, _) = try owner.resolve(name)
        return try await pool.run(body)
    }

    /// Starts blocking `body` on this executor and returns at once with its result to come —
    /// the shape of a Spring `@Async` method returning `CompletableFuture`.
    ///
    /// The context's deadline applies. Cancelling the completable takes queued work back or
    /// fires running work's cancellation signal; the context's cancellation (the request
    /// timed out, its client left) cancels the completable. Call it outside any request to
    /// start work that outlives requests.
    /// - Returns: A completable of what `body` returns or throws; failed at once with
    ///   ``RejectedExecutionError`` when the executor is saturated or shut down.
    public func submit<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> Completable<T> {
        let completable = Completable<T>()
        do {
            let (pool, _) = try owner.resolve(name)
            // The caller's cancellation (its request timed out, its client left) cancels the
            // completable first, then the work: a value the work still returns after its
            // cancellation is not taken for an answer.
            let work = DerivedWork(from: WorkContext.current, keepingDeadline: true) { reason in
                completable.cancel(reason: reason)
            }
            completable.whenComplete { _ in work.unlink() }
            if completable.isComplete { return completable }  // the caller was cancelled already
            let ticket = try WorkContext.$current.withValue(work.context) { () throws(RejectedExecutionError) -> ThreadPool.Ticket in
                try pool.submit(
                    onDiscard: { reason in
                        completable.fail(reason == .cancelled ? CancellationError() : RejectedExecutionError(pool: pool.name, reason: reason))
                    },
                    bypassingQueueLimit: false, callerMayRun: false
                ) {
                    guard !completable.isComplete else { return }  // cancelled as it started
                    completable.complete(with: Result { try body() })
                }
            }
            completable.onCancel { reason in
                if !pool.cancel(ticket) { work.signal.cancel(reason: reason) }
            }
        } catch {
            completable.fail(error)
        }
        return completable
    }

    /// Starts blocking `body` on this executor; no one waits for it.
    ///
    /// It keeps the caller's request id, logger and user values, but not its deadline or
    /// cancellation: the request may end first. An error it throws is logged (with the
    /// request id); every outcome is counted in `brigade_background_tasks_total` (dimension
    /// `outcome`: `succeeded`, `failed`, `dropped`, `rejected`). Graceful shutdown waits for
    /// background work within the grace period, then fires its cancellation signal; work still
    /// queued when the executor stops is logged as dropped.
    /// - Throws: ``RejectedExecutionError`` when the executor is saturated or shut down (the
    ///   work will not run: the caller decides what to do); ``ExecutorsNotRunningError``
    ///   before the server is made.
    public func launch(_ body: @escaping @Sendable () throws -> Void) throws {
        let (pool, background) = try owner.resolve(name)
        let work = DerivedWork(from: WorkContext.current, keepingDeadline: false, onCallerCancel: nil)
        let task = background.begin(work.context, executor: name)
        do {
            try WorkContext.$current.withValue(work.context) { () throws(RejectedExecutionError) in
                try pool.submit(
                    onDiscard: { reason in background.dropped(task, reason: reason) },
                    bypassingQueueLimit: false, callerMayRun: false
                ) {
                    do {
                        try body()
                        background.finished(task, error: nil)
                    } catch {
                        background.finished(task, error: error)
                    }
                }
            }
        } catch {
            background.rejected(task)
            throw error
        }
    }
}

/// The context handed work submitted from a caller: the caller's, under a cancellation
/// signal of the work's own.
struct DerivedWork: Sendable {
    let context: WorkContext
    let signal: CancellationSignal
    private let parent: CancellationSignal?
    private let link: CancellationSignal.Registration?

    /// - Parameters:
    ///   - caller: The caller's context, if any.
    ///   - keepingDeadline: Whether the caller's deadline applies to the work.
    ///   - onCallerCancel: Run when the caller's cancellation fires, until ``unlink()``;
    ///     `nil` when the work outlives its caller.
    init(from caller: WorkContext?, keepingDeadline: Bool, onCallerCancel: (@Sendable (String) -> Void)?) {
        let signal = CancellationSignal()
        var context = caller ?? WorkContext(requestID: "-", logger: BackgroundWork.fallbackLogger)
        context.cancellation = signal
        if !keepingDeadline { context.deadline = nil }
        self.context = context
        self.signal = signal
        let parent = onCallerCancel == nil ? nil : caller?.cancellation
        self.parent = parent
        self.link = onCallerCancel.flatMap { parent?.onCancel($0) }
    }

    /// Stops following the caller's cancellation (the work is over).
    func unlink() {
        parent?.remove(link)
    }
}
