@testable import Bookstore
import Brigade
import BrigadePostgres
import BrigadeTesting
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("Authors")
    struct AuthorTests {
        @Test func createAnswers201WithLocationAndTheAuthor() async throws {
            try await withBookstore { client, _ in
                let response = try await client.send(.POST, "/authors", json: AuthorInput(name: "  Ursula K. Le Guin ", bio: "Earthsea"))
                #expect(response.status == .created)
                let author = try response.decode(Author.self)
                #expect(author.name == "Ursula K. Le Guin")
                #expect(author.bio == "Earthsea")
                #expect(response.header("location") == "/authors/\(author.id)")
                let fetched = try await client.get("/authors/\(author.id)")
                #expect(fetched.status == .ok)
                #expect(try fetched.decode(Author.self) == author)
            }
        }

        @Test func bioIsOptional() async throws {
            try await withBookstore { client, _ in
                let response = try await client.send(.POST, "/authors", body: #"{"name":"Anonymous"}"#, contentType: "application/json")
                #expect(response.status == .created)
                #expect(try response.decode(Author.self).bio == nil)
                #expect(!response.text.contains("bio"))
            }
        }

        @Test func updateReplacesTheFields() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("Iain Banks", bio: "Culture")
                let response = try await client.send(.PUT, "/authors/\(author.id)", json: AuthorInput(name: "Iain M. Banks", bio: nil))
                #expect(response.status == .ok)
                #expect(try response.decode(Author.self) == Author(id: author.id, name: "Iain M. Banks", bio: nil))
                #expect(try await client.get("/authors/\(author.id)").decode(Author.self).name == "Iain M. Banks")
            }
        }

        @Test func deleteAnswers204ThenTheAuthorIsGone() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("Temporary")
                #expect(try await client.delete("/authors/\(author.id)").status == .noContent)
                #expect(try await client.get("/authors/\(author.id)").status == .notFound)
            }
        }

        @Test func missingAuthorIs404ForGetUpdateAndDelete() async throws {
            try await withBookstore { client, _ in
                let get = try await client.get("/authors/4242")
                #expect(get.status == .notFound)
                #expect(try get.problem().detail == "no author with id 4242")
                #expect(try await client.send(.PUT, "/authors/4242", json: AuthorInput(name: "X")).status == .notFound)
                #expect(try await client.delete("/authors/4242").status == .notFound)
            }
        }

        @Test func nonNumericIdIs400NamingIt() async throws {
            try await withBookstore { client, _ in
                let response = try await client.get("/authors/abc")
                #expect(response.status == .badRequest)
                #expect(try response.problem().fields == ["id"])
            }
        }

        @Test func emptyOrOverlongFieldsAre422NamingThem() async throws {
            try await withBookstore { client, _ in
                let empty = try await client.send(.POST, "/authors", json: AuthorInput(name: "   "))
                #expect(empty.status == .unprocessableEntity)
                #expect(try empty.problem().fields == ["name"])
                let long = try await client.send(
                    .POST, "/authors", json: AuthorInput(name: String(repeating: "n", count: 201), bio: String(repeating: "b", count: 2001)))
                #expect(long.status == .unprocessableEntity)
                #expect(try long.problem().fields == ["name", "bio"])
                let author = try await client.createAuthor("Valid")
                let update = try await client.send(.PUT, "/authors/\(author.id)", json: AuthorInput(name: ""))
                #expect(update.status == .unprocessableEntity)
            }
        }

        @Test func malformedJSONAndMissingFieldsAre400() async throws {
            try await withBookstore { client, _ in
                let malformed = try await client.send(.POST, "/authors", body: #"{"name": "#, contentType: "application/json")
                #expect(malformed.status == .badRequest)
                let missing = try await client.send(.POST, "/authors", body: #"{"bio":"no name"}"#, contentType: "application/json")
                #expect(missing.status == .badRequest)
                #expect(try missing.problem().fields == ["name"])
                let wrongType = try await client.send(.POST, "/authors", body: #"{"name": 42}"#, contentType: "application/json")
                #expect(wrongType.status == .badRequest)
                #expect(try wrongType.problem().fields == ["name"])
            }
        }

        @Test func aBodyThatIsNotJSONIs415() async throws {
            try await withBookstore { client, _ in
                let response = try await client.send(.POST, "/authors", body: "name=Ann", contentType: "application/x-www-form-urlencoded")
                #expect(response.status == .unsupportedMediaType)
                #expect(try response.problem().status == 415)
                let put = try await client.send(.PUT, "/authors/1", body: "name=Ann", contentType: "text/plain")
                #expect(put.status == .unsupportedMediaType)
            }
        }

        @Test func anAuthorWithBooksCannotBeDeleted() async throws {
            try await withBookstore { client, _ in
                let author = try await client.createAuthor("Prolific")
                _ = try await client.createBook("First", isbn: isbn13(1), authorId: author.id)
                let response = try await client.delete("/authors/\(author.id)")
                #expect(response.status == .conflict)
                #expect(try response.problem().detail?.contains("still has books") == true)
                #expect(try await client.get("/authors/\(author.id)").status == .ok)
            }
        }
    }
}
