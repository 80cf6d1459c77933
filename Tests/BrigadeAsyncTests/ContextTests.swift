import Brigade
import BrigadeTesting
import Foundation
import Testing

/// The request's context travels with the work to every thread.
@Suite struct ContextTests {
    enum User: WorkContextKey { typealias Value = String }

    struct Authenticate: Interceptor {
        func preHandle(_ request: inout Request) throws -> InterceptorDecision {
            request[User.self] = request.header("x-user")
            return .proceed
        }
    }

    struct Seen: Sendable, Equatable {
        let tier: ThreadTier
        let user: String?
        let requestID: String?
    }

    static func seen() -> Seen {
        Seen(tier: ThreadTier.current, user: WorkContext.current?[User.self], requestID: WorkContext.current?.requestID)
    }

    @Test func userValuesAndRequestIDReachBackThreadsTasksAndRendering() async throws {
        let seen = Recorder<Seen>()
        struct Rendered: ResponseGenerator {
            let seen: Recorder<Seen>
            func response(for request: Request) throws -> Response {
                seen.record(ContextTests.seen())
                return .text("ok")
            }
        }
        var app = Application(configuration: testConfiguration())
        app.addInterceptor(Authenticate())
        app.register(TestController { routes in
            routes.get("/callable") { _ in
                seen.record(ContextTests.seen())
                return Callable { () -> Rendered in
                    seen.record(ContextTests.seen())
                    return Rendered(seen: seen)
                }
            }
            routes.get("/async") { _ async throws -> Rendered in
                seen.record(ContextTests.seen())
                try await Task.sleep(for: .milliseconds(1))
                seen.record(ContextTests.seen())
                return Rendered(seen: seen)
            }
        })
        try await app.test(.inProcess) { client throws in
            _ = try await client.get("/callable", headers: ["x-user": "alice", "x-request-id": "req-1"])
            _ = try await client.get("/async", headers: ["x-user": "bob", "x-request-id": "req-2"])
        }
        let all = seen.all
        #expect(all.count == 6)
        #expect(Array(all[0..<3]).map(\.tier) == [.front, .back("default"), .front])
        #expect(all[0..<3].allSatisfy { $0.user == "alice" && $0.requestID == "req-1" })
        #expect(all[3..<6].allSatisfy { $0.user == "bob" && $0.requestID == "req-2" })
        #expect(all[5].tier == .front)
    }
}
