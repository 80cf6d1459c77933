@testable import Bookstore
import Brigade
import BrigadePostgres
import BrigadeTesting
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("Books")
    struct BookTests {
        @Test func createAnswers201WithLocationAndTheNormalisedBook() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("Robert C. Martin")
                let response = try await client.send(
                    .POST, "/books",
                    json: BookInput(title: " Clean Code ", isbn: "978-0-13-235088-4", authorId: author.id, publishedYear: 2008, price: 37.5))
                #expect(response.status == .created)
                let book = try response.decode(Book.self)
                #expect(book == Book(id: book.id, title: "Clean Code", isbn: "9780132350884", authorId: author.id, publishedYear: 2008, price: 37.5))
                #expect(response.header("location") == "/books/\(book.id)")
                #expect(try await client.get("/books/\(book.id)").decode(Book.self) == book)
            }
        }

        @Test func isbn10WithAnXCheckDigitIsAccepted() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("Someone")
                let book = try await client.createBook("Ten", isbn: "0-8044-2957-x", authorId: author.id)
                #expect(book.isbn == "080442957X")
                #expect(book.publishedYear == nil && book.price == nil)
            }
        }

        @Test func updateReplacesTheFields() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("A")
                let other = try await client.createAuthor("B")
                let book = try await client.createBook("Draft", isbn: isbn13(1), authorId: author.id, price: 10)
                let response = try await client.send(
                    .PUT, "/books/\(book.id)",
                    json: BookInput(title: "Final", isbn: isbn13(2), authorId: other.id, publishedYear: 1999, price: nil))
                #expect(response.status == .ok)
                let updated = Book(id: book.id, title: "Final", isbn: isbn13(2), authorId: other.id, publishedYear: 1999, price: nil)
                #expect(try response.decode(Book.self) == updated)
                #expect(try await client.get("/books/\(book.id)").decode(Book.self) == updated)
            }
        }

        @Test func deleteAnswers204ThenTheBookIsGone() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("A")
                let book = try await client.createBook("Gone", isbn: isbn13(3), authorId: author.id)
                #expect(try await client.delete("/books/\(book.id)").status == .noContent)
                #expect(try await client.get("/books/\(book.id)").status == .notFound)
                #expect(try await client.delete("/books/\(book.id)").status == .notFound)
            }
        }

        @Test func missingBookIs404ForGetAndUpdate() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("A")
                let get = try await client.get("/books/777")
                #expect(get.status == .notFound)
                #expect(try get.problem().detail == "no book with id 777")
                let put = try await client.send(.PUT, "/books/777", json: BookInput(title: "T", isbn: isbn13(4), authorId: author.id))
                #expect(put.status == .notFound)
            }
        }

        @Test func duplicateIsbnIs409OnCreateAndUpdate() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("A")
                _ = try await client.createBook("Original", isbn: isbn13(5), authorId: author.id)
                let duplicate = try await client.send(
                    .POST, "/books", json: BookInput(title: "Copy", isbn: "978-0-00-000005-" + String(isbn13(5).last!), authorId: author.id))
                #expect(duplicate.status == .conflict)
                let problem = try duplicate.problem()
                #expect(problem.fields == ["isbn"])
                #expect(problem.detail == "a book with ISBN \(isbn13(5)) already exists")
                let second = try await client.createBook("Second", isbn: isbn13(6), authorId: author.id)
                let update = try await client.send(.PUT, "/books/\(second.id)", json: BookInput(title: "Second", isbn: isbn13(5), authorId: author.id))
                #expect(update.status == .conflict)
                #expect(try await client.get("/books?size=100").decode(Page<Book>.self).total == 2)
            }
        }

        @Test func invalidFieldsAre422NamingEachOfThem() async throws {
            try await withBookstore { client, _ in
                let response = try await client.send(
                    .POST, "/books", json: BookInput(title: " ", isbn: "978-0-13-235088-5", authorId: 0, publishedYear: 3000, price: -1))
                #expect(response.status == .unprocessableEntity)
                #expect(try response.problem().fields == ["title", "isbn", "authorId", "publishedYear", "price"])
                let author = try await client.createAuthor("A")
                let book = try await client.createBook("Fine", isbn: isbn13(7), authorId: author.id)
                let update = try await client.send(.PUT, "/books/\(book.id)", json: BookInput(title: "Fine", isbn: "12345", authorId: author.id))
                #expect(update.status == .unprocessableEntity)
                #expect(try update.problem().fields == ["isbn"])
            }
        }

        @Test func anUnknownAuthorIs422FromTheForeignKey() async throws {
            try await withBookstore { client, _ in
                let response = try await client.send(.POST, "/books", json: BookInput(title: "Orphan", isbn: isbn13(8), authorId: 999))
                #expect(response.status == .unprocessableEntity)
                let problem = try response.problem()
                #expect(problem.invalidParams == [.init(name: "authorId", reason: "no author with id 999")])
            }
        }

        @Test func malformedBodiesAre400AndNonJSONIs415() async throws {
            try await withBookstore { client, _ in
                let missing = try await client.send(.POST, "/books", body: #"{"title":"No ISBN","authorId":1}"#, contentType: "application/json")
                #expect(missing.status == .badRequest)
                #expect(try missing.problem().fields == ["isbn"])
                let wrongType = try await client.send(
                    .POST, "/books", body: #"{"title":"T","isbn":"x","authorId":"one"}"#, contentType: "application/json")
                #expect(wrongType.status == .badRequest)
                #expect(try wrongType.problem().fields == ["authorId"])
                let empty = try await client.send(.POST, "/books", body: "", contentType: "application/json")
                #expect(empty.status == .badRequest)
                let text = try await client.send(.POST, "/books", body: "title=T", contentType: "text/plain")
                #expect(text.status == .unsupportedMediaType)
                let none = try await client.send(.POST, "/books", body: "{}", contentType: nil)
                #expect(none.status == .unsupportedMediaType)
            }
        }

        @Test func theWholeLifecycleWorksOverARealSocket() async throws {
            try await withBookstore(mode: .live) { client, _ in
                #expect(client.port != nil)
                let author = try await client.createAuthor("Live")
                let book = try await client.createBook("Over TCP", isbn: isbn13(9), authorId: author.id, price: 1.25)
                #expect(try await client.get("/books/\(book.id)").decode(Book.self) == book)
                #expect(try await client.get("/books/\(book.id)").header("content-type") == "application/json")
                #expect(try await client.delete("/books/\(book.id)").status == .noContent)
            }
        }

        @Test func noHandlerTouchesTheDatabaseOnAFrontThread() async throws {
            // The fixture sets database.front-tier-access=fail: a pool call on a front thread
            // would throw and answer 500. Run every route once and check that none did, and that
            // the pool was used at all.
            try await withBookstore { client, bookstore in
                let author = try await client.createAuthor("Tier")
                let book = try await client.createBook("Tier", isbn: isbn13(10), authorId: author.id)
                var statuses: [UInt] = []
                for path in ["/authors", "/authors/\(author.id)", "/books", "/books/\(book.id)", "/books/changes?after=0", "/reports/authors", "/health"] {
                    statuses.append(try await client.get(path).status.code)
                }
                statuses.append(try await client.send(.PUT, "/books/\(book.id)", json: BookInput(title: "T", isbn: isbn13(10), authorId: author.id)).status.code)
                statuses.append(try await client.send(.PUT, "/authors/\(author.id)", json: AuthorInput(name: "T")).status.code)
                statuses.append(try await client.delete("/books/\(book.id)").status.code)
                statuses.append(try await client.delete("/authors/\(author.id)").status.code)
                #expect(statuses.allSatisfy { $0 < 300 }, "\(statuses)")
                #expect(bookstore.pool.configuration.frontTierAccess == .fail)
                #expect(bookstore.pool.statistics.acquired >= 11)
            }
        }
    }
}
