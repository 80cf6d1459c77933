import Brigade
import BrigadeTesting
import Testing

/// What a handler returns decides the response.
@Suite struct ReturnValueTests {
    struct Book: Codable, Sendable, Equatable {
        let id: Int
        let title: String
    }

    func app() -> Application {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/string") { _ in "plain text" }
            routes.get("/encodable") { _ in Book(id: 1, title: "Dune") }
            routes.post("/entity") { _ in
                ResponseEntity(status: .created, headers: ["location": "/books/2", "x-extra": "yes"], body: Book(id: 2, title: "Emma"))
            }
            routes.get("/response") { _ in
                Response(status: .accepted, headers: ["content-type": "text/csv"], body: ByteBuffer(string: "a,b\n1,2\n"))
            }
            routes.delete("/void") { _ in }
        })
        return app
    }

    @Test func stringIsTextPlain() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/string")
            #expect(response.status == .ok)
            #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(response.text == "plain text")
        }
    }

    @Test func encodableIsJSON() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/encodable")
            #expect(response.status == .ok)
            #expect(response.header("content-type") == "application/json")
            #expect(try response.decode(Book.self) == Book(id: 1, title: "Dune"))
        }
    }

    @Test func responseEntityCarriesStatusHeadersAndJSONBody() async throws {
        try await app().test { client async throws in
            let response = try await client.execute(.POST, "/entity")
            #expect(response.status == .created)
            #expect(response.header("location") == "/books/2")
            #expect(response.header("x-extra") == "yes")
            #expect(response.header("content-type") == "application/json")
            #expect(try response.decode(Book.self) == Book(id: 2, title: "Emma"))
        }
    }

    @Test func responseIsSentAsIs() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/response")
            #expect(response.status == .accepted)
            #expect(response.header("content-type") == "text/csv")
            #expect(response.text == "a,b\n1,2\n")
        }
    }

    @Test func voidIs204WithoutBody() async throws {
        try await app().test(.live) { client async throws in
            let response = try await client.delete("/void")
            #expect(response.status == .noContent)
            #expect(response.body.readableBytes == 0)
            #expect(response.header("content-length") == nil)
        }
    }
}
