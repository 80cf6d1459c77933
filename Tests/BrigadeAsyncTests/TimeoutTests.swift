import Brigade
import BrigadeTesting
import Foundation
import Testing

@Suite struct TimeoutTests {
    private func app(timeout: Duration = .milliseconds(150), _ build: @escaping @Sendable (Routes) -> Void) -> Application {
        var app = Application(configuration: testConfiguration(asyncTimeout: timeout))
        app.register(TestController(build: build))
        return app
    }

    private func expectTimeout503(_ response: TestResponse) throws {
        #expect(response.status == .serviceUnavailable)
        #expect(response.header("content-type") == "application/problem+json")
        let body = try response.jsonObject()
        #expect(body["status"] as? Int == 503)
        #expect((body["detail"] as? String)?.contains("did not complete") == true)
    }

    @Test func theDefaultAsyncTimeoutAnswers503() async throws {
        let deferred = Recorder<DeferredResult<String>>()
        try await app { routes in
            routes.get("/never") { _ in
                let result = DeferredResult<String>()
                deferred.record(result)
                return result
            }
        }.test(.inProcess) { client throws in
            try expectTimeout503(try await client.get("/never"))
        }
        #expect(deferred.all[0].isSetOrExpired)
        #expect(deferred.all[0].setResult("late") == false)
    }

    @Test func aCallableThatOverrunsTheDefaultTimeoutAnswers503() async throws {
        let gate = Latch()
        try await app { routes in
            routes.get("/slow") { _ in Callable { () -> String in gate.wait(); return "late" } }
        }.test(.inProcess) { client throws in
            defer { gate.open() }
            try expectTimeout503(try await client.get("/slow"))
        }
    }

    @Test func aWebAsyncTaskHasItsOwnTimeout() async throws {
        let gate = Latch()
        let timing = ServerTiming()
        var app = app(timeout: .seconds(30)) { routes in
            routes.get("/task") { _ in WebAsyncTask(timeout: .milliseconds(100)) { () -> String in gate.wait(); return "late" } }
        }
        app.addInterceptor(timing)
        try await app.test(.inProcess) { client throws in
            defer { gate.open() }
            try expectTimeout503(try await client.get("/task"))
        }
        // Answered at its own 100 ms, not at the 30 s default nor when the body finished.
        #expect(timing.durations.all.count == 1)
        #expect(timing.durations.all.allSatisfy { $0 < .seconds(5) })
    }

    @Test func aWebAsyncTaskOnTimeoutProvidesTheAnswer() async throws {
        let gate = Latch()
        let completions = Recorder<Int>()
        try await app(timeout: .seconds(30)) { routes in
            routes.get("/task") { _ in
                WebAsyncTask(timeout: .milliseconds(100)) { () -> String in gate.wait(); return "late" }
                    .onTimeout { "fallback" }
                    .onCompletion { completions.record(1) }
            }
        }.test(.inProcess) { client throws in
            defer { gate.open() }
            let response = try await client.get("/task")
            #expect(response.status == .ok)
            #expect(response.text == "fallback")
        }
        #expect(completions.count == 1)
    }

    @Test func aDeferredResultHasItsOwnTimeoutAndTimeoutResult() async throws {
        try await app(timeout: .seconds(30)) { routes in
            routes.get("/changes") { _ in DeferredResult<[String]>(timeout: .milliseconds(100), timeoutResult: []) }
        }.test(.inProcess) { client throws in
            let response = try await client.get("/changes")
            #expect(response.status == .ok)
            #expect(response.text == "[]")
        }
    }

    @Test func aDeferredResultOnTimeoutCallbackMaySetTheResult() async throws {
        let completions = Recorder<Int>()
        try await app { routes in
            routes.get("/cb") { _ in
                let result = DeferredResult<String>(timeout: .milliseconds(100))
                result.onTimeout { #expect(result.setResult("from onTimeout")) }
                result.onCompletion { completions.record(1) }
                return result
            }
        }.test(.inProcess) { client throws in
            #expect(try await client.get("/cb").text == "from onTimeout")
        }
        #expect(completions.count == 1)
    }

    @Test func aDeferredResultOnTimeoutCallbackThatSetsNothingGives503() async throws {
        let timeouts = Recorder<Int>()
        try await app { routes in
            routes.get("/cb") { _ in
                let result = DeferredResult<String>(timeout: .milliseconds(100))
                result.onTimeout { timeouts.record(1) }
                return result
            }
        }.test(.inProcess) { client throws in
            try expectTimeout503(try await client.get("/cb"))
        }
        #expect(timeouts.count == 1)
    }

    @Test func theDeadlineOfTheRequestIsTheAsyncTimeout() async throws {
        let remaining = Recorder<Duration>()
        try await app(timeout: .seconds(2)) { routes in
            routes.get("/deadline") { _ in
                Callable { () -> String in
                    remaining.record(WorkContext.current?.remaining ?? .zero)
                    return "ok"
                }
            }
        }.test(.inProcess) { client throws in
            _ = try await client.get("/deadline")
        }
        #expect(remaining.all.count == 1)
        #expect(remaining.all[0] > .seconds(1) && remaining.all[0] <= .seconds(2))
    }

    @Test func aTimedOutRequestSignalsCancellationToItsWork() async throws {
        let gate = Latch()
        let cancelled = Latch()
        try await app(timeout: .milliseconds(100)) { routes in
            routes.get("/work") { _ in
                Callable { () -> String in
                    WorkContext.current?.cancellation.onCancel { _ in cancelled.open() }
                    gate.wait()
                    return "late"
                }
            }
        }.test(.inProcess) { client throws in
            defer { gate.open() }
            try expectTimeout503(try await client.get("/work"))
            #expect(await cancelled.waitAsync())
        }
    }
}
