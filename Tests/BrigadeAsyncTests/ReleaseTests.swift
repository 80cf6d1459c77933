import Brigade
import BrigadeTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import SlowCalls

/// The front thread is released when a handler returns an asynchronous result.
@Suite struct ReleaseTests {
    @Test func callableRunsOnBackThreadsAndRendersOnFrontThreads() async throws {
        let bodyTier = Recorder<ThreadTier>()
        let renderTier = Recorder<ThreadTier>()
        let postHandleTier = Recorder<ThreadTier>()
        struct TierInterceptor: Interceptor {
            let recorder: Recorder<ThreadTier>
            func postHandle(_ request: Request, response: inout Response) throws { recorder.record(ThreadTier.current) }
        }
        var app = Application(configuration: testConfiguration())
        app.addInterceptor(TierInterceptor(recorder: postHandleTier))
        app.register(TestController { routes in
            routes.get("/work") { _ in
                Callable {
                    bodyTier.record(ThreadTier.current)
                    return ThreadRecordingBody(recorder: renderTier)
                }
            }
        })
        try await app.test(.live) { client throws in
            let response = try await client.get("/work")
            #expect(response.status == .ok)
            #expect(response.text == "rendered")
        }
        #expect(bodyTier.all == [.back("default")])
        #expect(renderTier.all == [.front])
        #expect(postHandleTier.all == [.front])
    }

    @Test func asyncHandlersHoldNoFrontThreadWhileTheyAwait() async throws {
        let gate = Latch()
        var configuration = testConfiguration(front: 1)
        configuration.front = .init(maxThreads: 1, minSpareThreads: 1, acceptQueue: 0)
        var app = Application(configuration: configuration)
        let tiers = Recorder<ThreadTier>()
        app.register(TestController { routes in
            routes.get("/wait") { _ async throws -> String in
                tiers.record(ThreadTier.current)
                _ = await gate.waitAsync()
                tiers.record(ThreadTier.current)
                return "waited"
            }
            routes.get("/ping") { _ in "pong" }
        })
        try await app.test(.live) { client throws in
            async let waiting = client.get("/wait")
            #expect(await eventually { tiers.count == 1 })
            // The only front thread is free: another request is served while /wait awaits.
            let ping = try await client.get("/ping")
            #expect(ping.text == "pong")
            gate.open()
            #expect(try await waiting.text == "waited")
        }
        // It started and resumed on the front pool (its task executor), never on an event loop.
        #expect(tiers.all == [.front, .front])
    }

    @Test func aFullBackExecutorAnswers503AtOnce() async throws {
        let gate = Latch()
        let started = Latch()
        var configuration = testConfiguration()
        configuration.back = .init(coreThreads: 1, maxThreads: 1, queueCapacity: 0)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/block") { _ in
                Callable { () -> String in
                    started.open()
                    gate.wait()
                    return "done"
                }
            }
        })
        try await app.test(.live) { client throws in
            async let first = client.get("/block")
            #expect(await started.waitAsync())
            let second = try await client.get("/block")
            #expect(second.status == .serviceUnavailable)
            #expect(second.header("retry-after") == "1")
            #expect(second.header("content-type") == "application/problem+json")
            gate.open()
            #expect(try await first.text == "done")
        }
    }

    @Test func aSlowNamedExecutorDoesNotStarveTheDefaultOne() async throws {
        let gate = Latch()
        let running = Latch()
        var configuration = testConfiguration()
        configuration.executors["reports"] = .init(coreThreads: 0, maxThreads: 1, queueCapacity: 0)
        var app = Application(configuration: configuration)
        app.register(TestController { routes in
            routes.get("/report") { _ in
                WebAsyncTask(executor: "reports") { () -> String in
                    running.open()
                    gate.wait()
                    return ThreadTier.current.description
                }
            }
            routes.get("/quick") { _ in Callable { ThreadTier.current.description } }
        })
        try await app.test(.live) { client throws in
            async let report = client.get("/report")
            #expect(await running.waitAsync())
            #expect(try await client.get("/report").status == .serviceUnavailable, "the reports bulkhead is full")
            let quick = try await client.get("/quick")
            #expect(quick.text == "back:default")
            gate.open()
            #expect(try await report.text == "back:reports")
        }
    }

    @Test func slowCallsValidatesItsMilliseconds() async throws {
        var app = Application(configuration: testConfiguration())
        app.register(SlowController(executors: app.executors))
        try await app.test(.inProcess) { client throws in
            for path in ["/slow/sync?ms=abc", "/slow/callable?ms=-1", "/slow/deferred?ms=60001", "/slow/async", "/slow/run?ms=x", "/slow/task?ms=1&timeout=x"] {
                let response = try await client.get(path)
                #expect(response.status == .badRequest, "\(path)")
                #expect(response.header("content-type") == "application/problem+json")
            }
            let task = try await client.get("/slow/task?ms=600&timeout=20")
            #expect(task.status == .serviceUnavailable)
            for mode in ["sync", "callable", "task", "deferred", "async", "run"] {
                let report = try await client.get("/slow/\(mode)?ms=1").decode(SlowController.Report.self)
                #expect(report.mode == mode)
                #expect(report.ms == 1)
            }
            #expect(try await client.get("/slow/sync?ms=0").decode(SlowController.Report.self).thread.hasPrefix("front-"))
            #expect(try await client.get("/slow/callable?ms=0").decode(SlowController.Report.self).thread.hasPrefix("back-"))
            #expect(try await client.get("/slow/run?ms=0").decode(SlowController.Report.self).thread.hasPrefix("back-"))
        }
    }
}
