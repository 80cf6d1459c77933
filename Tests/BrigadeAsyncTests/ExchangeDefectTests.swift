@testable import Brigade
import BrigadeExecutors
import BrigadeTesting
import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The defects the 2026-12 review found in the request exchange, each pinned by a test.
@Suite struct ExchangeDefectTests {
    /// D1: a client that left while the handler ran was handled before the timer was stored
    /// and before the request was counted pending — the timer later counted a spurious
    /// timeout, and the request could stay pending forever (a graceful shutdown then waited
    /// out its whole grace).
    @Test func aClientThatLeftDuringTheHandlerEndsTheRequestWithoutATimeout() async throws {
        let timeouts = Recorder<String>()
        let completions = Recorder<ThreadTier>()
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.get("/leaves") { request in
                // As if the connection closed while the handler ran.
                request.context.cancellation.cancel(reason: "client disconnected")
                let result = DeferredResult<String>(timeout: .milliseconds(50))
                result.onTimeout { timeouts.record("timeout") }
                result.onCompletion { completions.record(ThreadTier.current) }
                return result
            }
        })
        let server = try app.makeServer()
        let pipeline = try #require(server.responder as? RequestPipeline)
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let answered = Recorder<UInt>()
        let writer = HTTPResponseWriter(eventLoop: loop) { answered.record($0.status.code) }
        loop.execute { server.responder.respond(to: HTTPServerRequest(method: .GET, uri: "/leaves"), writer: writer) }

        // Not pending any more: the exchange ended as abandoned.
        #expect(await pipeline.services.pending.waitUntilEmpty(timeout: .seconds(5)))
        #expect(await eventually { completions.count == 1 })
        // The scheduler runs its tasks in deadline order: when this one runs, a timer armed for
        // 50 ms after the request would have fired.
        await withCheckedContinuation { continuation in
            _ = Scheduler.shared.schedule(after: .milliseconds(100)) { continuation.resume() }
        }
        #expect(timeouts.all.isEmpty, "a timeout fired for a request whose client had left")
        #expect(pipeline.services.pending.timedOut == 0)
        #expect(pipeline.services.pending.count == 0)
        #expect(answered.all.isEmpty, "nothing is written for a departed client")
        #expect(completions.all == [.front])
        try await server.shutdown(grace: .seconds(1))
    }

    /// D2: timeouts were counted before the state machine decided, so a timer that lost to a
    /// result still counted. Now the count is the machine's `.expire` action: a timer that
    /// fires after the result won decides nothing (``AsyncExchangeStateMachineTests``), and
    /// here every real timeout counts once and nothing else does.
    @Test func timeoutsAreCountedOncePerRequestThatTimedOut() async throws {
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.get("/fast") { _ in Callable { "done" } }
            routes.get("/slow") { _ in DeferredResult<String>(timeout: .milliseconds(20)) }
        })
        let server = try app.makeServer()
        let pipeline = try #require(server.responder as? RequestPipeline)
        for _ in 0..<3 { #expect(try await Self.send(.GET, "/fast", to: server).status == .ok) }
        for _ in 0..<3 { #expect(try await Self.send(.GET, "/slow", to: server).status == .serviceUnavailable) }
        #expect(await pipeline.services.pending.waitUntilEmpty(timeout: .seconds(5)))
        #expect(pipeline.services.pending.timedOut == 3)
        #expect(pipeline.services.pending.completed == 6)
        try await server.shutdown(grace: .seconds(1))
    }

    /// Sends `uri` to `server`'s responder in-process and waits for the answer.
    private static func send(_ method: HTTPMethod, _ uri: String, to server: BrigadeServer) async throws -> HTTPServerResponse {
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        return await withCheckedContinuation { continuation in
            let writer = HTTPResponseWriter(eventLoop: loop) { continuation.resume(returning: $0) }
            loop.execute { server.responder.respond(to: HTTPServerRequest(method: method, uri: uri), writer: writer) }
        }
    }

    /// D3: a route group's own error handlers were silently dropped.
    @Test func aGroupsOwnErrorHandlerAnswers() async throws {
        struct Teapot: Error {}
        struct Gone: Error {}
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.onError(Gone.self) { _, _ in HTTPError(.gone, "from the controller") }
            let api = routes.group("/api")
            api.onError(Teapot.self) { _, _ in HTTPError(.imATeapot, "from the group") }
            api.get("/teapot") { _ -> String in throw Teapot() }
            api.get("/gone") { _ -> String in throw Gone() }
            routes.get("/teapot") { _ -> String in throw Teapot() }
        })
        try await app.test(.inProcess) { client throws in
            #expect(try await client.get("/api/teapot").status == .imATeapot)
            #expect(try await client.get("/api/gone").status == .gone, "the controller's handlers still apply inside the group")
            #expect(try await client.get("/teapot").status == .internalServerError, "the group's handler does not leak out of it")
        }
    }

    /// D4: `WorkContext.current` was nil in `postHandle` and in error handlers on the
    /// synchronous path.
    @Test func theContextIsBoundInPostHandleAndErrorHandlers() async throws {
        struct Failure: Error {}
        final class ContextRecorder: Interceptor {
            let seen = Recorder<String>()
            func postHandle(_ request: Request, response: inout Response) throws {
                seen.record("postHandle:\(WorkContext.current?.requestID ?? "nil")")
            }
            func afterCompletion(_ request: Request, response: Response, error: (any Error)?) {
                seen.record("afterCompletion:\(WorkContext.current?.requestID ?? "nil")")
            }
        }
        let interceptor = ContextRecorder()
        let handled = Recorder<String>()
        var app = Application(configuration: testConfiguration())
        app.addInterceptor(interceptor)
        app.onError(Failure.self) { _, request in
            handled.record(WorkContext.current?.requestID ?? "nil")
            return HTTPError(.conflict)
        }
        app.register(TestController { routes in
            routes.get("/ok") { _ in "ok" }
            routes.get("/fails") { _ -> String in throw Failure() }
        })
        try await app.test(.inProcess) { client throws in
            #expect(try await client.get("/ok", headers: ["x-request-id": "req-ok"]).status == .ok)
            #expect(try await client.get("/fails", headers: ["x-request-id": "req-fails"]).status == .conflict)
        }
        #expect(interceptor.seen.all.contains("postHandle:req-ok"))
        #expect(interceptor.seen.all.contains("afterCompletion:req-ok"))
        #expect(interceptor.seen.all.contains("afterCompletion:req-fails"))
        #expect(handled.all == ["req-fails"])
    }

    /// D5: a cancellation that came between creating a task (or submitting a callable) and
    /// storing its handle was lost. Both keep their handle in a latch that applies an earlier
    /// cancellation the moment the handle is stored.
    @Test func aCancellationBeforeTheHandleIsStoredIsApplied() {
        let latch = CancellationLatch<Int>()
        #expect(latch.cancel() == nil)
        #expect(latch.isCancelled)
        #expect(!latch.store(1), "the late handle must be cancelled by whoever stores it")
        let normal = CancellationLatch<Int>()
        #expect(normal.store(2))
        #expect(normal.cancel() == 2)
        #expect(normal.cancel() == nil)
    }

    /// D12: `DeferredResult.onCompletion` registered after the request ended ran on the
    /// caller's thread, not on a front thread as documented.
    @Test func onCompletionRegisteredAfterTheEndRunsOnAFrontThread() async throws {
        let results = Recorder<DeferredResult<String>>()
        let ended = Latch()
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.get("/done") { _ in
                let result = DeferredResult<String>()
                results.record(result)
                result.onCompletion { ended.open() }
                result.setResult("done")
                return result
            }
        })
        try await app.test(.inProcess) { client throws in
            #expect(try await client.get("/done").text == "done")
            let result = try #require(results.all.first)
            #expect(await ended.waitAsync(), "the request ended")
            let ran = Latch()
            let tier = Recorder<ThreadTier>()
            // Registered from a Swift concurrency thread, after the end.
            result.onCompletion {
                tier.record(ThreadTier.current)
                ran.open()
            }
            #expect(await ran.waitAsync())
            #expect(tier.all == [.front])
        }
    }
}
