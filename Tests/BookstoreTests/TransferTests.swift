@testable import Bookstore
import Brigade
import BrigadePostgres
import BrigadeTesting
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("CSV import and export through COPY", .timeLimit(.minutes(2)))
    struct TransferTests {
        static let header = "title,isbn,authorId,publishedYear,price\n"

        @Test func anImportedFileComesBackFromTheExport() async throws {
            try await withBookstore(mode: .live) { client, _ in
                let author = try await client.createAuthor("Bulk")
                let csv = Self.header + """
                    "Dune, the novel",\(isbn13(201)),\(author.id),1965,9.99
                    Emma,\(isbn13(202)),\(author.id),,
                    Ulysses,\(isbn13(203)),\(author.id),1922,12.5

                    """
                let imported = try await client.send(.POST, "/books/import", body: csv, contentType: "text/csv")
                #expect(imported.status == .created, "\(imported.text)")
                #expect(try imported.decode(BookRepository.ImportResult.self).imported == 3)
                let page = try await client.get("/books?size=10").decode(Page<Book>.self)
                #expect(page.items.map(\.title) == ["Dune, the novel", "Emma", "Ulysses"])
                #expect(page.items[1].price == nil && page.items[2].price == 12.5)

                let exported = try await client.get("/books/export.csv")
                #expect(exported.status == .ok)
                #expect(exported.header("content-type") == "text/csv; charset=utf-8")
                #expect(exported.text == Self.header + """
                    "Dune, the novel",\(isbn13(201)),\(author.id),1965,9.99
                    Emma,\(isbn13(202)),\(author.id),,
                    Ulysses,\(isbn13(203)),\(author.id),1922,12.50

                    """)
            }
        }

        @Test func aBadRowIs422NamingItsLineAndNothingIsImported() async throws {
            try await withBookstore(mode: .live) { client, _ in
                let author = try await client.createAuthor("Careful")
                let csv = Self.header + """
                    Fine,\(isbn13(211)),\(author.id),2001,1
                    Broken,\(isbn13(212)),\(author.id),not-a-year,1
                    Never,\(isbn13(213)),\(author.id),2003,1

                    """
                let response = try await client.send(.POST, "/books/import", body: csv, contentType: "text/csv")
                #expect(response.status == .unprocessableEntity)
                #expect(try response.problem().detail?.hasPrefix("line 3:") == true, "\(response.text)")
                #expect(try await client.get("/books").decode(Page<Book>.self).total == 0)
            }
        }

        @Test func aDuplicateIsbnAndAnUnknownAuthorAre422() async throws {
            try await withBookstore(mode: .live) { client, _ in
                let author = try await client.createAuthor("Twice")
                let duplicate = Self.header + "A,\(isbn13(221)),\(author.id),,\nB,\(isbn13(221)),\(author.id),,\n"
                let first = try await client.send(.POST, "/books/import", body: duplicate, contentType: "text/csv")
                #expect(first.status == .unprocessableEntity)
                #expect(try first.problem().detail?.hasPrefix("line 3:") == true, "\(first.text)")
                let unknown = Self.header + "C,\(isbn13(222)),999999,,\n"
                let second = try await client.send(.POST, "/books/import", body: unknown, contentType: "text/csv")
                #expect(second.status == .unprocessableEntity)
                #expect(try second.problem().fields == ["authorId"])
                #expect(try await client.get("/books").decode(Page<Book>.self).total == 0)
            }
        }

        @Test func aWrongHeaderIs422AndAnotherContentTypeIs415() async throws {
            try await withBookstore(mode: .live) { client, _ in
                let wrong = try await client.send(.POST, "/books/import", body: "name,isbn\nX,1\n", contentType: "text/csv")
                #expect(wrong.status == .unprocessableEntity)
                #expect(try wrong.problem().detail?.hasPrefix("line 1:") == true)
                let empty = try await client.send(.POST, "/books/import", body: "", contentType: "text/csv")
                #expect(empty.status == .unprocessableEntity)
                let json = try await client.send(.POST, "/books/import", body: "[]", contentType: "application/json")
                #expect(json.status == .unsupportedMediaType)
            }
        }

        @Test func anImportCompletesAWaitingLongPollWithOneNotification() async throws {
            try await withBookstore(["bookstore.long-poll-timeout": "20s"], mode: .live) { client, bookstore in
                let author = try await client.createAuthor("Announced")
                async let poll = client.get("/books/changes?after=0")
                await bookstore.changes.waiters.waitUntil { $0 == 1 }
                let received = bookstore.listener.notificationsReceived
                let csv = Self.header + (1...50).map { "Book \($0),\(isbn13(300 + $0)),\(author.id),,\n" }.joined()
                let response = try await client.send(.POST, "/books/import", body: csv, contentType: "text/csv")
                #expect(response.status == .created)
                let books = try await poll.decode([Book].self)
                #expect(books.count == 50)
                // One statement, one notification (not fifty).
                #expect(bookstore.listener.notificationsReceived - received == 1)
            }
        }
    }
}
