import Brigade

/// `GET /reports/authors`: a slow aggregate, run as a `WebAsyncTask` on the `reports`
/// executor (a bulkhead: slow reports never take the threads CRUD requests need) with its
/// own timeout (`bookstore.reports-timeout`; past it, 503 and the query is cancelled).
final class ReportController: Controller {
    private let reports: ReportRepository
    private let timeout: Duration

    init(reports: ReportRepository, timeout: Duration) {
        self.reports = reports
        self.timeout = timeout
    }

    func register(with routes: Routes) {
        routes.get("/reports/authors", authors)
    }

    /// `GET /reports/authors` → `{"authors": [{"authorId", "name", "bookCount", "averagePrice", …}], "computedOn": "back:reports"}`.
    func authors(_ request: Request) throws -> WebAsyncTask<AuthorsReport> {
        let reports = self.reports
        return WebAsyncTask(timeout: timeout, executor: BookstoreSettings.reportsExecutor) {
            AuthorsReport(authors: try reports.authors(), computedOn: ThreadTier.current.description)
        }
    }
}
