import Brigade
import BrigadeExecutors
import BrigadeTesting
import Testing

/// Keyed long polls: completed from any thread, removed when their request ends, bounded,
/// ended when shutdown begins.
@Suite(.timeLimit(.minutes(1))) struct WaiterRegistryTests {
    struct Status: Codable, Sendable, Equatable {
        var state: String
    }

    static func app(_ registry: WaiterRegistry<Int, Status>, timeout: Duration = .seconds(30), grace: Duration = .seconds(30)) -> Application {
        var configuration = testConfiguration(asyncTimeout: .seconds(60))
        configuration.shutdownGrace = grace
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/orders/{id}/status") { request in
                registry.wait(for: try request.path("id", as: Int.self), timeout: timeout)
            }
        })
        return app
    }

    @Test func aCompletionFromAnotherThreadAnswersEveryWaiterOfItsKeyAndNoOther() async throws {
        let registry = WaiterRegistry<Int, Status>(timeoutResult: Status(state: "unchanged"))
        try await Self.app(registry).test { client in
            async let first = client.get("/orders/17/status")
            async let second = client.get("/orders/17/status")
            async let other = client.get("/orders/18/status")
            await registry.waitUntil { $0 == 3 }
            #expect(registry.count(for: 17) == 2)
            #expect(Set(registry.keys) == [17, 18])
            let answered = try await blocking { registry.complete(17, with: Status(state: "shipped")) }
            #expect(answered == 2)
            #expect(try await first.decode(Status.self) == Status(state: "shipped"))
            #expect(try await second.decode(Status.self) == Status(state: "shipped"))
            #expect(registry.count == 1)
            #expect(registry.complete(17, with: Status(state: "again")) == 0)
            #expect(registry.completeAll(with: Status(state: "all")) == 1)
            #expect(try await other.decode(Status.self) == Status(state: "all"))
            await registry.waitUntil { $0 == 0 }
        }
    }

    @Test func aWaiterThatTimesOutAnswersItsTimeoutResultAndLeaves() async throws {
        let registry = WaiterRegistry<Int, Status>(timeoutResult: Status(state: "unchanged"))
        try await Self.app(registry, timeout: .milliseconds(100)).test { client in
            let response = try await client.get("/orders/1/status")
            #expect(try response.decode(Status.self) == Status(state: "unchanged"))
            await registry.waitUntil { $0 == 0 }
            #expect(registry.keys.isEmpty)
        }
    }

    @Test func aWaiterWhoseClientLeftIsRemoved() async throws {
        let registry = WaiterRegistry<Int, Status>()
        try await Self.app(registry).test(.live) { client in
            let connection = try await RawHTTPConnection.connect(port: try #require(client.port))
            try await connection.send("GET /orders/5/status HTTP/1.1\r\nhost: x\r\n\r\n")
            await registry.waitUntil { $0 == 1 }
            await connection.close()
            await registry.waitUntil { $0 == 0 }
            #expect(registry.complete(5, with: Status(state: "late")) == 0)
        }
    }

    @Test func pastItsBoundsAWaitIsAnswered503AtOnce() async throws {
        let registry = WaiterRegistry<Int, Status>(limits: .init(perKey: 2, total: 3))
        try await Self.app(registry).test { client in
            async let a = client.get("/orders/1/status")
            async let b = client.get("/orders/1/status")
            await registry.waitUntil { $0 == 2 }
            let sameKey = try await client.get("/orders/1/status")
            #expect(sameKey.status == .serviceUnavailable)
            #expect(sameKey.header("retry-after") == "1")
            #expect(sameKey.text.contains("same thing"))
            async let c = client.get("/orders/2/status")
            await registry.waitUntil { $0 == 3 }
            let beyondTotal = try await client.get("/orders/3/status")
            #expect(beyondTotal.status == .serviceUnavailable)
            #expect(beyondTotal.header("content-type")?.hasPrefix("application/problem+json") == true)
            #expect(registry.completeAll(with: Status(state: "done")) == 3)
            let answers = try await [a, b, c]
            #expect(answers.allSatisfy { $0.status == .ok })
        }
    }

    @Test func shutdownAnswersWaitersAtOnceWithTheirTimeoutResultNotAfterTheGrace() async throws {
        let registry = WaiterRegistry<Int, Status>(timeoutResult: Status(state: "unchanged"))
        let server = try Self.app(registry, grace: .seconds(60)).makeServer()
        try await server.start()
        let port = try #require(server.port)
        async let poll = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/orders/9/status"), port: port)
        await registry.waitUntil { $0 == 1 }
        let clock = ContinuousClock()
        let began = clock.now
        try await server.shutdown(grace: .seconds(60))
        #expect(clock.now - began < .seconds(30), "the long poll did not hold the drain")
        #expect(try await poll.decode(Status.self) == Status(state: "unchanged"))
        #expect(registry.count == 0)
    }
}
