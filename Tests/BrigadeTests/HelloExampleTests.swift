import Brigade
import BrigadeTesting
import Testing

@testable import Hello

/// The `hello` example's four endpoints, over a real socket.
@Suite struct HelloExampleTests {
    struct Greeting: Codable, Sendable, Equatable { let message: String }
    struct ThreadReport: Codable, Sendable { let thread: String; let tier: String }

    func app() -> Application {
        var app = Application(configuration: testConfiguration())
        app.register(HelloController())
        return app
    }

    @Test func helloIsPlainText() async throws {
        try await app().test(.live) { client async throws in
            let response = try await client.get("/hello")
            #expect(response.status == .ok)
            #expect(response.text == "Hello, World!")
            #expect(response.header("content-type")?.hasPrefix("text/plain") == true)
        }
    }

    @Test func helloNameIsJSON() async throws {
        try await app().test(.live) { client async throws in
            let response = try await client.get("/hello/Ada")
            #expect(response.header("content-type") == "application/json")
            #expect(try response.decode(Greeting.self) == Greeting(message: "Hello, Ada!"))
        }
    }

    @Test func echoReturnsTheSameJSON() async throws {
        try await app().test(.live) { client async throws in
            let response = try await client.send(.POST, "/echo", json: Greeting(message: "ping"))
            #expect(response.status == .ok)
            #expect(try response.decode(Greeting.self) == Greeting(message: "ping"))
        }
    }

    @Test func echoRejectsMalformedAndMissingField() async throws {
        try await app().test(.live) { client async throws in
            try expectProblem(try await client.send(.POST, "/echo", body: "{nope", contentType: "application/json"), .badRequest)
            try expectProblem(try await client.send(.POST, "/echo", body: "{}", contentType: "application/json"), .badRequest, detailContains: "message")
        }
    }

    @Test func threadReportsAFrontThread() async throws {
        try await app().test(.live) { client async throws in
            let report = try await client.get("/thread").decode(ThreadReport.self)
            #expect(report.tier == "front")
            #expect(report.thread.hasPrefix("front-"))
        }
    }
}
