import Brigade
import BrigadeTesting
import Logging
import Testing

/// Every log line for a request carries its request id.
@Suite struct LoggingTests {
    func app(records: LogRecords) -> Application {
        var app = Application(configuration: testConfiguration(), logger: records.logger())
        app.register(RoutesController { routes in
            routes.get("/work") { request in
                request.logger.info("doing the work", metadata: ["step": "1"])
                return "done"
            }
        })
        return app
    }

    @Test func handlerLogLineCarriesTheRequestID() async throws {
        let records = LogRecords()
        try await app(records: records).test { client async throws in
            let response = try await client.get("/work")
            let id = try #require(response.header("x-request-id"))
            let line = try #require(records.all.first { $0.message == "doing the work" })
            #expect(line.metadata["request-id"] == .string(id))
            #expect(line.metadata["step"] == "1")
        }
    }

    @Test func clientRequestIDIsEchoedAndLogged() async throws {
        let records = LogRecords()
        try await app(records: records).test(.live) { client async throws in
            let response = try await client.get("/work", headers: ["X-Request-Id": "trace-abc-123"])
            #expect(response.header("x-request-id") == "trace-abc-123")
            let line = try #require(records.all.first { $0.message == "doing the work" })
            #expect(line.metadata["request-id"] == "trace-abc-123")
        }
    }

    @Test func requestsWithoutIDGetDistinctGeneratedIDs() async throws {
        let records = LogRecords()
        try await app(records: records).test { client async throws in
            let first = try await client.get("/work").header("x-request-id")
            let second = try await client.get("/work").header("x-request-id")
            #expect(first != nil && second != nil)
            #expect(first != second)
        }
    }

    @Test func unhandledErrorIsLoggedWithTheRequestID() async throws {
        let records = LogRecords()
        struct Kaboom: Error {}
        var app = Application(configuration: testConfiguration(), logger: records.logger())
        app.register(RoutesController { routes in routes.get("/boom") { _ -> String in throw Kaboom() } })
        try await app.test { client async throws in
            let response = try await client.get("/boom")
            let id = try #require(response.header("x-request-id"))
            let line = try #require(records.all.first { $0.level == .error })
            #expect(line.metadata["request-id"] == .string(id))
        }
    }
}
