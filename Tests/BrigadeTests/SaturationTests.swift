import Brigade
import BrigadeTesting
import Testing

/// A full front pool answers `503` with `Retry-After` at once: never a hang.
@Suite struct SaturationTests {
    @Test func tenConcurrentBlockingRequestsGiveSixImmediate503sThenFour200s() async throws {
        let gate = Gate()
        let started = Counter()
        defer { gate.open() }
        var configuration = testConfiguration(maxThreads: 2, minSpareThreads: 2, acceptQueue: 2)
        configuration.server.eventLoops = 2
        var app = Application(configuration: configuration)
        app.register(RoutesController { routes in
            routes.get("/block") { _ in
                started.increment()
                gate.wait()
                return "done"
            }
        })

        try await app.test(.live) { client async throws in
            let port = try #require(client.port)
            try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/block"), port: port) }
                }
                // Six answers arrive while the gate is still closed: they are the refusals.
                var early: [TestResponse] = []
                for _ in 0..<6 { early.append(try #require(try await group.next())) }
                #expect(early.allSatisfy { $0.status == .serviceUnavailable }, "\(early.map(\.status))")
                for refusal in early {
                    #expect(refusal.header("retry-after") != nil)
                    try expectProblem(refusal, .serviceUnavailable)
                }
                // Two handlers run (and block); two requests wait in the accept queue.
                try await started.wait(for: 2)
                #expect(started.count == 2)

                gate.open()
                var late: [TestResponse] = []
                while let response = try await group.next() { late.append(response) }
                #expect(late.count == 4)
                #expect(late.allSatisfy { $0.status == .ok }, "\(late.map(\.status))")
                #expect(late.allSatisfy { $0.text == "done" })
                #expect(started.count == 4)
            }
        }
    }
}
