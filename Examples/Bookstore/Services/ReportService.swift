import Brigade

/// The reports, `@Async`-style (Spring's `@Async` service returning a `CompletableFuture`):
/// each method starts its work on the `reports` executor — a bulkhead, so slow reports never
/// take the threads CRUD requests need — and returns at once with the result to come.
struct ReportService: Sendable {
    /// `app.executors["reports"]`.
    let executor: BackExecutor
    let repository: ReportRepository

    /// The authors report, computed on a `reports` thread. Cancelling the completable (the
    /// request timed out, the client left) cancels the query.
    func authors() -> Completable<AuthorsReport> {
        executor.submit { [repository] in
            AuthorsReport(authors: try repository.authors(), computedOn: ThreadTier.current.description)
        }
    }
}
