@testable import Bookstore
import Brigade
import BrigadePostgres
import BrigadeTesting
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("Pagination")
    struct PaginationTests {
        @Test func pagesAreOrderedByIdWithTheTotal() async throws {
            try await withBookstore { client, _ in
                var created: [Author] = []
                for index in 1...5 { created.append(try await client.createAuthor("Author \(index)")) }
                let first = try await client.get("/authors?page=1&size=2").decode(Page<Author>.self)
                #expect(first.items == Array(created[0..<2]))
                #expect(first.page == 1 && first.size == 2 && first.total == 5)
                let last = try await client.get("/authors?page=3&size=2").decode(Page<Author>.self)
                #expect(last.items == [created[4]])
                let beyond = try await client.get("/authors?page=4&size=2").decode(Page<Author>.self)
                #expect(beyond.items.isEmpty)
                #expect(beyond.total == 5)
            }
        }

        @Test func defaultsArePageOneOfTwenty() async throws {
            try await withBookstore { client, _ in
                let page = try await client.get("/books").decode(Page<Book>.self)
                #expect(page.page == 1 && page.size == 20 && page.total == 0 && page.items.isEmpty)
            }
        }

        @Test func bookListsFilterByAuthor() async throws {
            try await withBookstore { client, _ in
                let one = try await client.createAuthor("One")
                let two = try await client.createAuthor("Two")
                let book = try await client.createBook("By one", isbn: isbn13(11), authorId: one.id)
                _ = try await client.createBook("By two", isbn: isbn13(12), authorId: two.id)
                let page = try await client.get("/books?authorId=\(one.id)&size=100").decode(Page<Book>.self)
                #expect(page.items == [book])
                #expect(page.total == 1)
            }
        }

        @Test(arguments: [
            ("page=0", ["page"]), ("page=-3", ["page"]), ("size=0", ["size"]), ("size=101", ["size"]),
            ("page=0&size=1000", ["page", "size"]), ("page=abc", ["page"]), ("size=1.5", ["size"]),
            ("page=1000001", ["page"]),
        ])
        func outOfBoundsPaginationIs400NamingTheParameter(query: String, fields: [String]) async throws {
            try await withBookstore { client, _ in
                for path in ["/authors", "/books"] {
                    let response = try await client.get("\(path)?\(query)")
                    #expect(response.status == .badRequest, "\(path)?\(query)")
                    #expect(try response.problem().fields == fields, "\(path)?\(query)")
                }
            }
        }

        @Test func theBoundsThemselvesAreAccepted() async throws {
            try await withBookstore { client, _ in
                let smallest = try await client.get("/authors?page=1&size=1")
                let largest = try await client.get("/books?page=1000000&size=100")
                #expect(smallest.status == .ok)
                #expect(largest.status == .ok)
            }
        }
    }
}
