import Brigade

/// `GET /reports/authors`: a slow aggregate from the ``ReportService``, returned as a
/// `DeferredResult` with its own timeout (`bookstore.reports-timeout`; past it, 503 and the
/// query is cancelled). No front thread waits for it.
final class ReportController: Controller {
    private let reports: ReportService
    private let timeout: Duration

    init(reports: ReportService, timeout: Duration) {
        self.reports = reports
        self.timeout = timeout
    }

    func register(with routes: Routes) {
        routes.get("/reports/authors", authors)
    }

    /// `GET /reports/authors` → `{"authors": [{"authorId", "name", "bookCount", "averagePrice", …}], "computedOn": "back:reports"}`.
    func authors(_ request: Request) -> DeferredResult<AuthorsReport> {
        DeferredResult(reports.authors(), timeout: timeout)
    }
}
