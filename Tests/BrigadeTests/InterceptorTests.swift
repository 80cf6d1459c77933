import Brigade
import BrigadeTesting
import Testing

/// `preHandle` / `postHandle` / `afterCompletion`, Spring's `HandlerInterceptor` contract.
@Suite struct InterceptorTests {
    enum CurrentUser: WorkContextKey { typealias Value = String }

    /// Records every call as `<name>.<phase>:<path>`.
    struct Recording: Interceptor {
        let name: String
        let events: Watched<[String]>
        var shortCircuitPath: String?

        func preHandle(_ request: inout Request) throws -> InterceptorDecision {
            events.update { $0.append("\(name).pre:\(request.path)") }
            if let shortCircuitPath, request.path == shortCircuitPath {
                return .respond(.text("stopped by \(name)", status: .forbidden))
            }
            return .proceed
        }

        func postHandle(_ request: Request, response: inout Response) throws {
            events.update { $0.append("\(name).post:\(request.path)") }
            let trail = response.headers.first(name: "x-trail").map { $0 + "," } ?? ""
            response.headers.replaceOrAdd(name: "x-trail", value: trail + name)
        }

        func afterCompletion(_ request: Request, response: Response, error: (any Error)?) {
            events.update { $0.append("\(name).after:\(request.path):\(response.status.code)\(error == nil ? "" : ":error")") }
        }
    }

    /// Attaches the "authenticated" user to the request's context.
    struct Authenticate: Interceptor {
        func preHandle(_ request: inout Request) throws -> InterceptorDecision {
            request[CurrentUser.self] = request.header("x-user") ?? "anonymous"
            return .proceed
        }
    }

    struct Failure: Error {}

    func app(events: Watched<[String]>, shortCircuitAt: String? = nil) -> Application {
        // One front thread: requests run one after another, so a later request's events
        // prove that every event of an earlier one has happened.
        var app = Application(configuration: testConfiguration(maxThreads: 1, minSpareThreads: 1))
        app.addInterceptor(Recording(name: "A", events: events))
        app.addInterceptor(Recording(name: "B", events: events, shortCircuitPath: shortCircuitAt))
        app.addInterceptor(Recording(name: "C", events: events))
        app.addInterceptor(Authenticate())
        app.register(RoutesController { routes in
            routes.get("/ok") { request in
                events.update { $0.append("handler:\(request.path)") }
                return "ok"
            }
            routes.get("/fail") { request -> String in
                events.update { $0.append("handler:\(request.path)") }
                throw Failure()
            }
            routes.get("/whoami") { request in
                "\(request[CurrentUser.self] ?? "-")/\(WorkContext.current?[CurrentUser.self] ?? "-")"
            }
            routes.get("/sync") { _ in "sync" }
        })
        return app
    }

    /// Sends `/sync` and waits for its last `afterCompletion`: every earlier request is done.
    func settle(_ client: TestClient, _ events: Watched<[String]>) async throws {
        _ = try await client.get("/sync")
        try await events.wait { $0.contains("A.after:/sync:200") }
    }

    func events(of path: String, in all: [String]) -> [String] {
        all.filter { $0.hasSuffix(":\(path)") || $0.contains(":\(path):") }
    }

    @Test func preHandleInOrderPostHandleAndAfterCompletionInReverse() async throws {
        let events = Watched<[String]>([])
        try await app(events: events).test { client async throws in
            let response = try await client.get("/ok")
            #expect(response.text == "ok")
            try await settle(client, events)
            #expect(self.events(of: "/ok", in: events.value) == [
                "A.pre:/ok", "B.pre:/ok", "C.pre:/ok", "handler:/ok",
                "C.post:/ok", "B.post:/ok", "A.post:/ok",
                "C.after:/ok:200", "B.after:/ok:200", "A.after:/ok:200",
            ])
        }
    }

    @Test func postHandleCanModifyTheResponseInReverseOrder() async throws {
        let events = Watched<[String]>([])
        try await app(events: events).test { client async throws in
            let response = try await client.get("/ok")
            #expect(response.header("x-trail") == "C,B,A")
        }
    }

    @Test func shortCircuitSkipsHandlerAndLaterInterceptors() async throws {
        let events = Watched<[String]>([])
        try await app(events: events, shortCircuitAt: "/ok").test { client async throws in
            let response = try await client.get("/ok")
            #expect(response.status == .forbidden)
            #expect(response.text == "stopped by B")
            try await settle(client, events)
            #expect(self.events(of: "/ok", in: events.value) == [
                "A.pre:/ok", "B.pre:/ok", "B.after:/ok:403", "A.after:/ok:403",
            ])
        }
    }

    @Test func afterCompletionRunsOnceWithTheErrorWhenTheHandlerThrows() async throws {
        let events = Watched<[String]>([])
        try await app(events: events).test { client async throws in
            let response = try await client.get("/fail")
            try expectProblem(response, .internalServerError)
            try await settle(client, events)
            #expect(self.events(of: "/fail", in: events.value) == [
                "A.pre:/fail", "B.pre:/fail", "C.pre:/fail", "handler:/fail",
                "C.after:/fail:500:error", "B.after:/fail:500:error", "A.after:/fail:500:error",
            ])
        }
    }

    @Test func preHandleThatThrowsAnswersWithTheErrorAndCompletesOnlyEarlierInterceptors() async throws {
        struct Deny: Interceptor {
            func preHandle(_ request: inout Request) throws -> InterceptorDecision {
                if request.path == "/ok" { throw HTTPError(.unauthorized, "sign in first") }
                return .proceed
            }
        }
        let events = Watched<[String]>([])
        var app = Application(configuration: testConfiguration(maxThreads: 1, minSpareThreads: 1))
        app.addInterceptor(Recording(name: "A", events: events))
        app.addInterceptor(Deny())
        app.addInterceptor(Recording(name: "C", events: events))
        app.register(RoutesController { routes in
            routes.get("/ok") { request in
                events.update { $0.append("handler:\(request.path)") }
                return "ok"
            }
            routes.get("/sync") { _ in "sync" }
        })
        try await app.test { client async throws in
            try expectProblem(try await client.get("/ok"), .unauthorized, detailContains: "sign in")
            try await settle(client, events)
            #expect(self.events(of: "/ok", in: events.value) == ["A.pre:/ok", "A.after:/ok:401:error"])
        }
    }

    @Test func valueAttachedByInterceptorIsVisibleInHandlerAndWorkContext() async throws {
        let events = Watched<[String]>([])
        try await app(events: events).test { client async throws in
            let response = try await client.get("/whoami", headers: ["x-user": "alice"])
            #expect(response.text == "alice/alice")
        }
    }
}
