import Brigade
import BrigadeTesting
import Dispatch
import Foundation
import Testing

/// `onCompletion` and `afterCompletion` run exactly once on every path, and a departed
/// client's work is dropped.
@Suite struct CompletionTests {
    final class CountingInterceptor: Interceptor {
        let started = Recorder<String>()
        let completed = Recorder<UInt>()
        let completedLatch = Latch()
        func afterConcurrentHandlingStarted(_ request: Request) { started.record(request.route ?? "") }
        func afterCompletion(_ request: Request, response: Response, error: (any Error)?) {
            completed.record(response.status.code)
            completedLatch.open()
        }
    }

    @Test func onCompletionRunsOnceForAResult() async throws {
        let completions = Recorder<ThreadTier>()
        let interceptor = CountingInterceptor()
        var app = Application(configuration: testConfiguration())
        app.addInterceptor(interceptor)
        app.register(TestController { routes in
            routes.get("/ok") { _ in
                let result = DeferredResult<String>()
                result.onCompletion { completions.record(ThreadTier.current) }
                DispatchQueue.global().async { result.setResult("ok") }
                return result
            }
        })
        try await app.test(.inProcess) { client throws in
            #expect(try await client.get("/ok").text == "ok")
        }
        #expect(completions.all == [.front])
        #expect(interceptor.started.all == ["/ok"])
        #expect(await eventually { interceptor.completed.count == 1 })
        #expect(interceptor.completed.all == [200])
    }

    @Test func onCompletionRunsOnceForAnErrorAndATimeout() async throws {
        let completions = Recorder<String>()
        var app = Application(configuration: testConfiguration(asyncTimeout: .milliseconds(100)))
        app.register(TestController { routes in
            routes.get("/error") { _ in
                let result = DeferredResult<String>()
                result.onCompletion { completions.record("error") }
                result.setErrorResult(HTTPError(.badGateway))
                return result
            }
            routes.get("/timeout") { _ in
                let result = DeferredResult<String>()
                result.onCompletion { completions.record("timeout") }
                return result
            }
            routes.get("/task-error") { _ in
                WebAsyncTask { () -> String in throw HTTPError(.imATeapot) }.onCompletion { completions.record("task-error") }
            }
        })
        try await app.test(.inProcess) { client throws in
            let error = try await client.get("/error")
            let timeout = try await client.get("/timeout")
            let taskError = try await client.get("/task-error")
            #expect(error.status == .badGateway)
            #expect(timeout.status == .serviceUnavailable)
            #expect(taskError.status == .imATeapot)
        }
        #expect(await eventually { completions.count == 3 })
        #expect(completions.all.sorted() == ["error", "task-error", "timeout"])
    }

    @Test func aDepartedClientExpiresTheDeferredResultOnce() async throws {
        let created = Recorder<DeferredResult<String>>()
        let completed = Latch()
        let completions = Recorder<Int>()
        let interceptor = CountingInterceptor()
        var app = Application(configuration: testConfiguration())
        app.addInterceptor(interceptor)
        app.register(TestController { routes in
            routes.get("/wait") { _ in
                let result = DeferredResult<String>(timeout: .seconds(30))
                result.onCompletion {
                    completions.record(1)
                    completed.open()
                }
                created.record(result)
                return result
            }
        })
        try await app.test(.live) { client throws in
            let connection = try await openAndSend("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n", port: client.port ?? 0)
            #expect(await eventually { created.count == 1 }, "the handler ran")
            try await connection.close().get()
            #expect(await completed.waitAsync(), "onCompletion ran when the client left")
            #expect(created.all.first?.isSetOrExpired == true)
            #expect(created.all.first?.setResult("late") == false)
            #expect(await interceptor.completedLatch.waitAsync())
        }
        #expect(completions.count == 1)
        #expect(interceptor.completed.all == [499])
    }

    @Test func aQueuedCallableOfADepartedClientNeverRuns() async throws {
        let gate = Latch()
        let blockerRunning = Latch()
        let ran = Recorder<String>()
        let interceptor = CountingInterceptor()
        var configuration = testConfiguration()
        configuration.back = .init(coreThreads: 1, maxThreads: 1, queueCapacity: 10)
        var app = Application(configuration: configuration)
        app.addInterceptor(interceptor)
        app.register(TestController { routes in
            routes.get("/blocker") { _ in
                Callable { () -> String in
                    blockerRunning.open()
                    gate.wait()
                    return "blocker"
                }
            }
            routes.get("/queued") { _ in Callable { () -> String in ran.record("queued"); return "queued" } }
        })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        let client = TestClient.live(port: port)
        async let blocker = client.get("/blocker")
        #expect(await blockerRunning.waitAsync())
        try await sendAndDisconnect("GET /queued HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
        // The server noticed the departure: only the blocked request's connection is left.
        // (Depending on timing the request was dropped before a front thread took it, or
        // its Callable was taken out of the back queue: either way its body never runs.)
        #expect(await eventually { server.http.openConnections == 1 })
        gate.open()
        #expect(try await blocker.text == "blocker")
        // The pool's only thread is free again: a new request runs at once, and the
        // departed client's body never ran before it.
        #expect(try await client.get("/queued").text == "queued")
        try await server.shutdown(grace: .seconds(5))
        #expect(ran.all == ["queued"], "only the second, live request's body ran")
    }

    @Test func aRunningCallableOfADepartedClientHasItsResultDropped() async throws {
        let gate = Latch()
        let running = Latch()
        let finished = Latch()
        let rendered = Recorder<Int>()
        let interceptor = CountingInterceptor()
        var app = Application(configuration: testConfiguration())
        app.addInterceptor(interceptor)
        app.register(TestController { routes in
            routes.get("/running") { _ in
                Callable { () -> ThreadRecordingBody in
                    running.open()
                    gate.wait()
                    defer { finished.open() }
                    return ThreadRecordingBody(recorder: Recorder())
                }
            }
        })
        try await app.test(.live) { client throws in
            let connection = try await openAndSend("GET /running HTTP/1.1\r\nHost: x\r\n\r\n", port: client.port ?? 0)
            #expect(await running.waitAsync())
            try await connection.close().get()
            #expect(await eventually { interceptor.completed.all == [499] })
            gate.open()
            #expect(await finished.waitAsync())
            _ = rendered
        }
        #expect(interceptor.completed.all == [499], "afterCompletion ran once, for the disconnect")
    }
}

@Suite struct FrontQueueTests {
    @Test func aQueuedRequestOfADepartedClientNeverRunsItsHandler() async throws {
        let gate = Latch()
        let blocking = Latch()
        let ran = Recorder<String>()
        var configuration = testConfiguration(front: 1)
        configuration.front = .init(maxThreads: 1, minSpareThreads: 1, acceptQueue: 10)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/block") { _ in
                ran.record("block")
                blocking.open()
                gate.wait()
                return "blocked"
            }
            routes.get("/queued") { _ in
                ran.record("queued")
                return "queued"
            }
        })
        let server = try app.makeServer()
        try await server.start()
        let port = try #require(server.port)
        async let blocked = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/block"), port: port)
        #expect(await blocking.waitAsync())
        try await sendAndDisconnect("GET /queued HTTP/1.1\r\nHost: x\r\n\r\n", port: port)
        // The server noticed the departure (its connection count fell back to the blocked one).
        #expect(await eventually { server.http.openConnections == 1 })
        gate.open()
        #expect(try await blocked.text == "blocked")
        let after = try await LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/queued"), port: port)
        #expect(after.text == "queued")
        try await server.shutdown(grace: .seconds(5))
        #expect(ran.all == ["block", "queued"], "the departed client's request never reached its handler")
    }
}
