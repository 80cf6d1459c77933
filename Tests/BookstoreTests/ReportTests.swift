import Foundation
@testable import Bookstore
import Brigade
import BrigadePostgres
import BrigadeTesting
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("Reports")
    struct ReportTests {
        @Test func theAuthorsReportAggregatesOnTheReportsExecutor() async throws {
            try await withBookstore { client, _ in
                let prolific = try await client.createAuthor("Prolific")
                let single = try await client.createAuthor("Single")
                let none = try await client.createAuthor("None yet")
                _ = try await client.createBook("A", isbn: isbn13(1), authorId: prolific.id, publishedYear: 1990, price: 10)
                _ = try await client.createBook("B", isbn: isbn13(2), authorId: prolific.id, publishedYear: 2001, price: 20)
                _ = try await client.createBook("C", isbn: isbn13(3), authorId: prolific.id, publishedYear: 1995)
                _ = try await client.createBook("D", isbn: isbn13(4), authorId: single.id, price: 7.5)
                let response = try await client.get("/reports/authors")
                #expect(response.status == .ok)
                let report = try response.decode(AuthorsReport.self)
                #expect(report.computedOn == "back:reports")
                #expect(report.authors == [
                    AuthorReport(authorId: prolific.id, name: "Prolific", bookCount: 3, averagePrice: 15, firstPublished: 1990, lastPublished: 2001),
                    AuthorReport(authorId: single.id, name: "Single", bookCount: 1, averagePrice: 7.5, firstPublished: nil, lastPublished: nil),
                    AuthorReport(authorId: none.id, name: "None yet", bookCount: 0, averagePrice: nil, firstPublished: nil, lastPublished: nil),
                ])
            }
        }

        @Test func anEmptyCatalogueGivesAnEmptyReport() async throws {
            try await withBookstore { client, _ in
                let report = try await client.get("/reports/authors").decode(AuthorsReport.self)
                #expect(report.authors.isEmpty)
            }
        }

        @Test func aReportPastItsOwnTimeoutIs503() async throws {
            try await withBookstore(["bookstore.reports-delay": "5s", "bookstore.reports-timeout": "200ms"]) { client, bookstore in
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await client.get("/reports/authors")
                #expect(response.status == .serviceUnavailable)
                #expect(try response.problem().status == 503)
                #expect(clock.now - start < .seconds(3))
                // The request's end cancelled the service's completable, and with it the query:
                // PostgreSQL stops sleeping long before its 5 s.
                let sleeping = try await bookstore.application.executors.run {
                    try bookstore.pool.withConnection { connection -> Int in
                        var active = -1
                        for _ in 0..<200 {
                            active = try connection.query(
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'"
                            ).first?.decode(Int.self, at: 0) ?? -1
                            if active == 0 { break }
                            Thread.sleep(forTimeInterval: 0.01)
                        }
                        return active
                    }
                }
                #expect(sleeping == 0)
                #expect(clock.now - start < .seconds(4))
            }
        }

        @Test func theReportsExecutorIsConfigurable() async throws {
            let configuration = try await Configuration.load(
                arguments: ["bookstore", "--executors-reports-max-threads", "2", "--executors-reports-queue", "5"], environment: [:])
            let keys = ConfigKeys(reader: configuration.reader)
            let pool = try BookstoreSettings.reportsPool(keys: keys)
            #expect(pool.maxThreads == 2)
            #expect(pool.queueCapacity == 5)
            #expect(configuration.executors["reports"]?.maxThreads == 2)
        }
    }
}
