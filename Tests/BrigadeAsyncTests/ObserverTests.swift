@testable import Brigade
import BrigadeTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Request observers hear of every request exactly once: answered, refused, or left by its client.
@Suite struct ObserverTests {
    final class RecordingObserver: RequestObserver {
        let records = Recorder<RequestRecord>()
        func requestCompleted(_ record: RequestRecord) { records.record(record) }
    }

    final class CompletionCounter: Interceptor {
        let statuses = Recorder<UInt>()
        func afterCompletion(_ request: Request, response: Response, error: (any Error)?) {
            statuses.record(response.status.code)
        }
    }

    @Test func everyAnsweredRequestIsRecordedOnceWithItsRouteStatusAndTimings() async throws {
        struct Failure: Error {}
        let observer = RecordingObserver()
        var app = Application(configuration: testConfiguration())
        app.observers.append(observer)
        app.register(TestController { routes in
            routes.get("/sync") { _ in "sync" }
            routes.get("/callable/{id}") { _ in Callable { "callable" } }
            routes.get("/failing") { _ in Callable { () throws -> String in throw Failure() } }
            routes.get("/deferred") { _ in
                let result = DeferredResult<String>()
                Scheduler.shared.schedule(after: .milliseconds(10)) { result.setResult("deferred") }
                return result
            }
            routes.get("/expiring") { _ in DeferredResult<String>(timeout: .milliseconds(20)) }
            routes.get("/async") { _ async throws -> String in "async" }
            routes.get("/conflict") { _ -> String in throw HTTPError(.conflict, "taken") }
            routes.post("/only-post") { _ in "posted" }
        })
        let requests: [(HTTPMethod, String, route: String?, status: UInt)] = [
            (.GET, "/sync", "/sync", 200), (.GET, "/callable/7", "/callable/{id}", 200), (.GET, "/failing", "/failing", 500),
            (.GET, "/deferred", "/deferred", 200), (.GET, "/expiring", "/expiring", 503), (.GET, "/async", "/async", 200),
            (.GET, "/conflict", "/conflict", 409), (.GET, "/nowhere", nil, 404), (.GET, "/only-post", nil, 405),
            (.OPTIONS, "/only-post", nil, 204),
        ]
        let answered = try await app.test(.live) { client throws in
            var answered: [String: (response: TestResponse, route: String?)] = [:]
            for (method, uri, route, status) in requests {
                let response = try await client.execute(method, uri)
                #expect(response.status.code == status, "\(method) \(uri)")
                answered[try #require(response.header("x-request-id"))] = (response, route)
            }
            // Observers run once the response is handed over: wait for the last ones.
            #expect(await eventually { observer.records.count >= requests.count })
            return answered
        }
        // The server is shut down: nothing more can come.
        let records = observer.records.all
        #expect(records.count == requests.count, "\(records.map { "\($0.status) \($0.uri)" })")
        #expect(Set(records.map(\.requestID)) == Set(answered.keys), "one record per request")
        for record in records {
            let (response, route) = try #require(answered[record.requestID])
            #expect(record.status == Int(response.status.code), "\(record.uri)")
            #expect(record.route == route, "\(record.uri)")
            #expect(record.remoteAddress?.hasPrefix("127.0.0.1:") == true)
            #expect(record.timings.serverTiming == response.header("server-timing"), "the record and the header agree")
        }
    }

    @Test func aClientThatLeavesWhileItsRequestIsAsynchronousIsRecordedOnceAs499() async throws {
        let observer = RecordingObserver()
        let counter = CompletionCounter()
        let started = Latch()
        var app = Application(configuration: testConfiguration())
        app.observers.append(observer)
        app.addInterceptor(counter)
        app.register(TestController { routes in
            routes.get("/forever") { _ in
                started.open()
                return DeferredResult<String>()
            }
        })
        try await app.test(.live) { client throws in
            let connection = try await openAndSend("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n", port: try #require(client.port))
            #expect(await started.waitAsync())
            try await connection.close().get()
            #expect(await eventually { observer.records.count == 1 })
        }
        let record = try #require(observer.records.all.first)
        #expect(observer.records.count == 1)
        #expect(record.status == 499)
        #expect(record.route == "/forever")
        #expect(record.timings.asyncWait > .zero)
        #expect(counter.statuses.all == [499])
    }

    @Test func aClientThatLeavesWhileQueuedForAFrontThreadIsRecordedAs499WithoutARoute() async throws {
        let observer = RecordingObserver()
        let gate = Latch()
        let blocking = Latch()
        var configuration = testConfiguration(front: 1)
        configuration.front = .init(maxThreads: 1, minSpareThreads: 1, acceptQueue: 10)
        var app = Application(configuration: configuration)
        app.observers.append(observer)
        app.register(TestController { routes in
            routes.get("/block") { _ in
                blocking.open()
                gate.wait()
                return "blocked"
            }
            routes.get("/queued") { _ in "queued" }
        })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        async let blocked = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/block"), port: port)
        #expect(await blocking.waitAsync())
        try await sendAndDisconnect("GET /queued HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
        #expect(await eventually { server.http.openConnections == 1 })
        gate.open()
        #expect(try await blocked.text == "blocked")
        #expect(await eventually { observer.records.count == 2 })
        try await server.shutdown(grace: .seconds(5))
        let records = observer.records.all
        #expect(records.count == 2)
        #expect(records.contains { $0.status == 200 && $0.route == "/block" })
        let departed = try #require(records.first { $0.status == 499 })
        #expect(departed.route == nil)
        #expect(departed.uri == "/queued")
        #expect(departed.timings.frontQueue > .zero)
        #expect(departed.timings.frontQueue == departed.timings.total)
    }

    @Test func theSaturation503IsRecordedWithoutARoute() async throws {
        let observer = RecordingObserver()
        let gate = Latch()
        let blocking = Latch()
        var configuration = testConfiguration(front: 1)
        configuration.front = .init(maxThreads: 1, minSpareThreads: 1, acceptQueue: 0)
        var app = Application(configuration: configuration)
        app.observers.append(observer)
        app.register(TestController { routes in
            routes.get("/block") { _ in
                blocking.open()
                gate.wait()
                return "blocked"
            }
        })
        let refusedID = try await app.test(.live) { client throws in
            async let blocked = client.get("/block")
            #expect(await blocking.waitAsync())
            let refused = try await client.get("/block")
            #expect(refused.status == .serviceUnavailable)
            gate.open()
            #expect(try await blocked.status == .ok)
            #expect(await eventually { observer.records.count == 2 })
            return refused.header("x-request-id")
        }
        let records = observer.records.all
        #expect(records.map(\.status).sorted() == [200, 503])
        let refusal = try #require(records.first { $0.status == 503 })
        #expect(refusal.route == nil)
        #expect(refusal.requestID == refusedID)
        #expect(refusal.timings.total > .zero)
    }
}
