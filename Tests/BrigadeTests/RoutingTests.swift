import Brigade
import BrigadeTesting
import Testing

/// Path templates: typed variables, catch-all, precedence, decoding, groups, duplicates.
@Suite struct RoutingTests {
    func app() -> Application {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/users/{id}") { request in "user \(try request.path("id", as: Int.self) + 1)" }
            routes.get("/users/new") { _ in "new user form" }
            routes.get("/users/{id}/books/{bookID}") { request in
                "user \(try request.path("id", as: Int.self)) book \(try request.path("bookID", as: String.self))"
            }
            routes.get("/files/**") { request in "file \(try request.path("**", as: String.self))" }
            routes.get("/greet/{name}") { request in "hello \(try request.path("name", as: String.self))" }
            let api = routes.group("/api/v1")
            api.get("/items") { _ in "items" }
            api.group("admin").get("/stats") { _ in "stats" }
        })
        return app
    }

    @Test func pathVariableIsTyped() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/users/41")
            #expect(response.text == "user 42")
        }
    }

    @Test func severalPathVariables() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/users/5/books/abc")
            #expect(response.text == "user 5 book abc")
        }
    }

    @Test func catchAllTakesTheRestOfThePath() async throws {
        try await app().test { client async throws in
            #expect(try await client.get("/files/a/b/c.txt").text == "file a/b/c.txt")
            #expect(try await client.get("/files/one").text == "file one")
        }
    }

    @Test func staticSegmentBeatsVariable() async throws {
        try await app().test { client async throws in
            #expect(try await client.get("/users/new").text == "new user form")
            #expect(try await client.get("/users/7").text == "user 8")
        }
    }

    @Test func pathVariablesArePercentDecoded() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/greet/J%C3%BCrgen%20M")
            #expect(response.text == "hello Jürgen M")
        }
    }

    @Test func brokenPercentEscapeIs400() async throws {
        try await app().test { client async throws in
            _ = try expectProblem(try await client.get("/greet/bad%zz"), .badRequest)
        }
    }

    @Test func queryStringDoesNotAffectMatching() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/users/1?verbose=true")
            #expect(response.text == "user 2")
        }
    }

    @Test func routeGroupsAddTheirPrefix() async throws {
        try await app().test { client async throws in
            #expect(try await client.get("/api/v1/items").text == "items")
            #expect(try await client.get("/api/v1/admin/stats").text == "stats")
            #expect(try await client.get("/items").status == .notFound)
        }
    }

    @Test func duplicateRouteThrowsRoutingErrorFromMakeServer() throws {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in routes.get("/dup/{id}") { _ in "one" } })
        app.register(RoutesController { routes in routes.get("/dup/{name}") { _ in "two" } })
        #expect(throws: RoutingError.self) { try app.makeServer() }
    }

    @Test func sameTemplateWithDifferentMethodsIsNoDuplicate() async throws {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/things") { _ in "list" }
            routes.post("/things") { _ in "create" }
        })
        let server = try app.makeServer()
        try await server.shutdown(grace: .zero)
    }

    @Test func malformedTemplateThrowsRoutingError() throws {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in routes.get("/files/**/more") { _ in "bad" } })
        #expect(throws: RoutingError.self) { try app.makeServer() }
    }
}
