import Brigade
import BrigadePostgres

/// Aggregates over the whole catalogue: slow by nature, so ``ReportService`` runs them on the
/// `reports` executor. Blocks on the database.
struct ReportRepository: Sendable {
    let pool: PostgresPool
    /// Extra time spent in PostgreSQL first (`bookstore.reports-delay`), to demonstrate the
    /// timeout; the statement is cancelled when the work's cancellation signal fires (the
    /// request ended without the report).
    let delay: Duration

    /// Every author with their book count, average price and publication range, most
    /// prolific first.
    func authors() throws -> [AuthorReport] {
        try pool.withConnection { connection in
            if delay > .zero {
                let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                try connection.query("SELECT pg_sleep(\(seconds))")
            }
            return try connection.query(
                """
                SELECT a.id AS author_id, a.name, count(b.id) AS book_count,
                       avg(b.price)::float8 AS average_price,
                       min(b.published_year) AS first_published, max(b.published_year) AS last_published
                FROM authors a LEFT JOIN books b ON b.author_id = a.id
                GROUP BY a.id, a.name
                ORDER BY book_count DESC, a.id
                """
            ).decode(AuthorReport.self)
        }
    }
}
