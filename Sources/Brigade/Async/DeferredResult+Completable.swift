import BrigadeExecutors

extension DeferredResult {
    /// A deferred result completed by `completable` — the value of an `@Async`-style service
    /// method — rendered like a ``Callable``'s value once it completes:
    ///
    /// ```swift
    /// func authors(_ request: Request) -> DeferredResult<AuthorsReport> {
    ///     DeferredResult(reports.authors(), timeout: .seconds(10))
    /// }
    /// ```
    /// The usual rules apply: the timeout (503 unless an ``onTimeout(_:)`` callback sets a
    /// result), ``onCompletion(_:)`` once. When the request ends without its value (timeout,
    /// client gone, shutdown), `completable` is cancelled, and with it the work behind it.
    /// - Parameters:
    ///   - completable: The value to come; its error is resolved like a handler's.
    ///   - timeout: How long the request may wait; `nil` uses `async.timeout`.
    public convenience init(_ completable: Completable<T>, timeout: Duration? = nil) where T: ResponseGenerator {
        self.init(timeout: timeout)
        follow(completable)
    }

    /// A deferred result completed by `completable`, whose value is sent as JSON.
    @_disfavoredOverload
    public convenience init(_ completable: Completable<T>, timeout: Duration? = nil) where T: Encodable {
        self.init(timeout: timeout)
        follow(completable)
    }

    /// A deferred result that answers `204 No Content` once `completable` succeeds.
    public convenience init(_ completable: Completable<T>, timeout: Duration? = nil) where T == Void {
        self.init(timeout: timeout)
        follow(completable)
    }

    private func follow(_ completable: Completable<T>) {
        completable.whenComplete { [self] result in
            switch result {
            case .success(let value): setResult(value)
            case .failure(let error): setErrorResult(error)
            }
        }
        onCompletion { completable.cancel(reason: "the request ended without its result") }
    }
}
