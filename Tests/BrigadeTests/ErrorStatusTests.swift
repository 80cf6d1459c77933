import Brigade
import Foundation
import BrigadeTesting
import Testing

/// Every error the framework answers has its status and an RFC 9457 problem+json body.
@Suite struct ErrorStatusTests {
    struct Message: Codable, Sendable { let message: String }
    struct SecretError: Error, CustomStringConvertible {
        var description: String { "password=hunter2 at db.internal:5432" }
    }

    func app() -> Application {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/hello") { _ in "hi" }
            routes.post("/echo") { request in try request.decode(Message.self) }
            routes.get("/users/{id}") { request in "user \(try request.path("id", as: Int.self))" }
            routes.get("/search") { request in "page \(try request.query("page", default: 1))" }
            routes.put("/books/{isbn}") { _ -> String in throw HTTPError(.conflict, "a book with this ISBN already exists") }
            routes.get("/explode") { _ -> String in throw SecretError() }
        })
        return app
    }

    @Test func unknownPathIs404() async throws {
        try await app().test { client async throws in
            _ = try expectProblem(try await client.get("/nowhere"), .notFound, detailContains: "/nowhere")
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await app().test { client async throws in
            let response = try await client.delete("/hello")
            try expectProblem(response, .methodNotAllowed)
            let allowed = Set((response.header("allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(allowed == ["GET", "HEAD", "OPTIONS"])
        }
    }

    @Test func malformedJSONIs400NamingTheProblem() async throws {
        try await app().test { client async throws in
            let response = try await client.send(.POST, "/echo", body: #"{"message": "#, contentType: "application/json")
            try expectProblem(response, .badRequest, detailContains: "malformed JSON")
        }
    }

    @Test func missingFieldIs400NamingTheField() async throws {
        try await app().test { client async throws in
            let response = try await client.send(.POST, "/echo", body: #"{"text": "hi"}"#, contentType: "application/json")
            let problem = try expectProblem(response, .badRequest, detailContains: "message")
            #expect(problem.invalidParameterNames == ["message"])
        }
    }

    @Test func wrongContentTypeIs415() async throws {
        try await app().test { client async throws in
            let response = try await client.send(.POST, "/echo", body: "message=hi", contentType: "application/x-www-form-urlencoded")
            try expectProblem(response, .unsupportedMediaType, detailContains: "application/json")
        }
    }

    @Test func nonIntegerPathVariableIs400() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/users/abc")
            try expectProblem(response, .badRequest, detailContains: "id")
        }
    }

    @Test func badQueryValueIs400() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/search?page=abc")
            try expectProblem(response, .badRequest, detailContains: "page")
        }
    }

    @Test func thrownHTTPErrorGivesItsStatusAndDetail() async throws {
        try await app().test { client async throws in
            let response = try await client.execute(.PUT, "/books/123")
            try expectProblem(response, .conflict, detailContains: "already exists")
        }
    }

    @Test func anyOtherErrorIs500WithoutInternals() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/explode")
            try expectProblem(response, .internalServerError)
            #expect(!response.text.contains("hunter2"))
            #expect(!response.text.contains("db.internal"))
            #expect(!response.text.contains("SecretError"))
        }
    }

    @Test func serverSideDecodingErrorIs500NotTheClientsFault() async throws {
        // Bug in Sources/Brigade/Errors/ErrorHandlers.swift, DefaultErrorResolver (the
        // `case let error as DecodingError` branch): `Request.decode` already turns body
        // errors into 400s, so any DecodingError reaching the resolver comes from the
        // server's own decoding (a cache entry, a JSON column, another service's answer). It
        // is answered 400 naming the internal field. Fix: drop that branch (→ logged 500).
        struct Stored: Decodable { let internalSecretField: Int }
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/report") { _ -> String in
                let stored = try JSONDecoder().decode(Stored.self, from: Data("{}".utf8))
                return "\(stored.internalSecretField)"
            }
        })
        try await app.test { client async throws in
            let response = try await client.get("/report")
            #expect(response.status == .internalServerError)
            #expect(!response.text.contains("internalSecretField"))
        }
    }

    @Test func problemBodiesAreTheSameOverARealSocket() async throws {
        try await app().test(.live) { client async throws in
            try expectProblem(try await client.get("/users/abc"), .badRequest, detailContains: "id")
            try expectProblem(try await client.get("/nowhere"), .notFound)
        }
    }
}
