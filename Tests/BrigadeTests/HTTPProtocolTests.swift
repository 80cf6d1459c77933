import Brigade
import BrigadeTesting
import Foundation
import Testing

/// HTTP/1.1 details: HEAD, automatic OPTIONS, Date and Server, chunked bodies, 100-continue.
@Suite struct HTTPProtocolTests {
    struct Message: Codable, Sendable, Equatable { let message: String }

    func app() -> Application {
        var app = Application(configuration: testConfiguration())
        app.register(RoutesController { routes in
            routes.get("/hello") { _ in "Hello, World!" }
            routes.get("/items/{id}") { request in Message(message: "item \(try request.path("id", as: Int.self))") }
            routes.post("/items/{id}") { _ in "created" }
            routes.post("/echo") { request in try request.decode(Message.self) }
        })
        return app
    }

    @Test func headOfEveryGetHasStatusAndLengthButNoBody() async throws {
        try await app().test(.live) { client async throws in
            let port = try #require(client.port)
            for path in ["/hello", "/items/7"] {
                let get = try await client.get(path)
                let head = try await LiveHTTPClient.send(HTTPServerRequest(method: .HEAD, uri: path), port: port)
                #expect(head.status == .ok)
                #expect(head.header("content-length") == String(get.body.readableBytes), "\(path)")
                #expect(head.header("content-type") == get.header("content-type"))
                #expect(head.body.readableBytes == 0)
            }
        }
    }

    @Test func optionsIsAnsweredAutomaticallyWithAllow() async throws {
        try await app().test { client async throws in
            let response = try await client.execute(.OPTIONS, "/items/3")
            #expect(response.status == .noContent)
            let allowed = Set((response.header("allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(allowed == ["GET", "HEAD", "POST", "OPTIONS"])
        }
    }

    @Test func responsesCarryDateAndServerHeaders() async throws {
        try await app().test(.live) { client async throws in
            let response = try await client.get("/hello")
            #expect(response.header("server") == "Brigade")
            let date = try #require(response.header("date"))
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            let parsed = try #require(formatter.date(from: date), "not an IMF-fixdate: \(date)")
            #expect(abs(parsed.timeIntervalSinceNow) < 60)
        }
    }

    @Test func chunkedRequestBodyIsAccepted() async throws {
        try await withLiveServer(app()) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let json = #"{"message":"chunked hello"}"#
            let first = String(json.prefix(10)), second = String(json.dropFirst(10))
            try await connection.send(
                "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "\(String(first.utf8.count, radix: 16))\r\n\(first)\r\n"
                    + "\(String(second.utf8.count, radix: 16))\r\n\(second)\r\n"
                    + "0\r\n\r\n")
            let responses = try await connection.responses(1)
            #expect(responses.map(\.status) == [200])
            #expect(responses.first?.body == json)
            await connection.close()
        }
    }

    @Test func expect100ContinueGetsContinueBeforeTheBody() async throws {
        try await withLiveServer(app()) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let json = #"{"message":"after continue"}"#
            try await connection.send(
                "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await connection.responses(1)
            #expect(interim.map(\.status) == [100])
            try await connection.send(json)
            let responses = try await connection.responses(2)
            #expect(responses.map(\.status) == [100, 200])
            #expect(responses.last?.body == json)
            await connection.close()
        }
    }
}
