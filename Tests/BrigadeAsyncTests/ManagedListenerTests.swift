import Brigade
import BrigadePostgres
import BrigadeTesting
import Foundation
import Testing

/// A `PostgresListener` under the server's management: started with it, on `/ready`,
/// `/pools` and `/metrics`, closed after the drain; one that cannot start stops the start.
@Suite(.timeLimit(.minutes(2))) struct ManagedListenerTests {
    static func freshURL() throws -> String {
        let server = try EmbeddedPostgres.shared()
        let name = "listener_\(UInt32.random(in: 0...UInt32.max))"
        try server.createDatabase(name)
        return server.url(database: name)
    }

    @Test func theServerStartsReportsAndClosesItsListener() async throws {
        let url = try await blocking { try Self.freshURL() }
        let listener = try PostgresListener(configuration: .init(url: url, name: "changes"))
        let heard = Latch()
        try listener.listen("orders") { _ in heard.open() }
        var app = Application(configuration: ManagementTests.configuration())
        app.manage(listener)
        try await app.test(.live) { client in
            let management = try #require(client.management)
            #expect(listener.isListening, "started before the server accepted requests")
            let ready = try await management.get("/ready")
            #expect(ready.status == .ok)
            let checks = try #require(try ready.jsonObject()["checks"] as? [String: Any])
            #expect((checks["changes"] as? [String: Any])?["status"] as? String == "UP")

            try await blocking {
                let sender = try PostgresConnection(url: url)
                defer { sender.close() }
                try sender.notify("orders", payload: "17")
            }
            #expect(await heard.waitAsync())
            let pools = try await management.get("/pools").jsonObject()
            let components = try #require(pools["components"] as? [[String: Any]])
            let reported = try #require(components.first { $0["name"] as? String == "changes" })
            #expect(reported["kind"] as? String == "listener")
            #expect(reported["up"] as? Bool == true)
            #expect((reported["counters"] as? [String: Any])?["notifications"] as? Int == 1)
            let metrics = try await Metrics.read(management)
            #expect(metrics.value("brigade_listener_up", ["name": "changes"]) == 1)
            #expect(metrics.value("brigade_listener_notifications_total", ["name": "changes"]) == 1)
            #expect(metrics.value("brigade_listener_channels", ["name": "changes"]) == 1)

            // A listener that stops listening makes the instance not ready, saying why.
            await listener.close()
            let down = try await management.get("/ready")
            #expect(down.status == .serviceUnavailable)
            let downChecks = try #require(try down.jsonObject()["checks"] as? [String: Any])
            #expect((downChecks["changes"] as? [String: Any])?["detail"] as? String == "changes is down: closed")
            #expect(try await Metrics.read(management).value("brigade_listener_up", ["name": "changes"]) == 0)
        }
    }

    @Test func aListenerThatCannotConnectStopsTheStartWithItsReason() async throws {
        let listener = try PostgresListener(configuration: .init(
            url: "postgresql://nobody@127.0.0.1:1/none", name: "changes", connectTimeout: .seconds(2)))
        var app = Application(configuration: ManagementTests.configuration())
        app.manage(listener)
        let server = try app.makeServer()
        let error = await #expect(throws: ListenerError.self) { try await server.start() }
        #expect(error?.diagnosis.exitStatus == .unavailable)
        #expect(error?.message.contains("(database.url)") == true)
        #expect(server.port == nil, "nothing listens")
        try await server.shutdown(grace: .seconds(1))
    }

    @Test func twoComponentsOrAComponentAndAPoolCannotShareAName() throws {
        var app = Application(configuration: ManagementTests.configuration())
        app.manage(try PostgresListener(configuration: .init(url: "postgresql://x@127.0.0.1:1/x", name: "back")))
        #expect(throws: ConfigurationError.self) { try app.makeServer() }
    }
}
