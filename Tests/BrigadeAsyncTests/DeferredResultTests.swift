import Brigade
import BrigadeTesting
import Dispatch
import Foundation
import NIOCore
import Testing

@Suite struct DeferredResultTests {
    @Test func theFirstOfManyConcurrentCompletionsWins() async throws {
        let created = Recorder<DeferredResult<Int>>()
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.get("/race") { _ in
                let result = DeferredResult<Int>()
                created.record(result)
                return result
            }
        })
        try await app.test(.inProcess) { client throws in
            async let response = client.get("/race")
            #expect(await eventually { created.count == 1 })
            let deferred = created.all[0]
            let winners = Recorder<Int>()
            DispatchQueue.concurrentPerform(iterations: 64) { index in
                let won = index.isMultiple(of: 2) ? deferred.setResult(index) : deferred.setErrorResult(HTTPError(.conflict))
                if won { winners.record(index) }
            }
            #expect(winners.count == 1)
            let body = try await response
            if winners.all[0].isMultiple(of: 2) {
                #expect(body.text == String(winners.all[0]))
            } else {
                #expect(body.status == .conflict)
            }
            #expect(deferred.isSetOrExpired)
            #expect(deferred.setResult(-1) == false)
        }
    }

    @Test func aResultSetBeforeTheHandlerReturnsIsUsed() async throws {
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.get("/early") { _ in
                let result = DeferredResult<String>()
                #expect(result.setResult("early"))
                #expect(result.setResult("late") == false)
                #expect(result.hasResult)
                return result
            }
        })
        try await app.test(.inProcess) { client throws in
            #expect(try await client.get("/early").text == "early")
        }
    }

    @Test func anErrorResultGoesThroughTheErrorHandlers() async throws {
        struct OutOfStock: Error {}
        var app = Application(configuration: testConfiguration())
        app.onError(OutOfStock.self) { _, _ in HTTPError(.gone, "sold out") }
        app.register(TestController { routes in
            routes.get("/fail") { _ in
                let result = DeferredResult<String>()
                DispatchQueue.global().async { result.setErrorResult(OutOfStock()) }
                return result
            }
        })
        try await app.test(.inProcess) { client throws in
            let response = try await client.get("/fail")
            #expect(response.status == .gone)
            #expect(try response.jsonObject()["detail"] as? String == "sold out")
        }
    }

    @Test func encodableAndVoidResultsRender() async throws {
        struct Book: Codable, Sendable, Equatable { let title: String }
        var app = Application(configuration: testConfiguration())
        app.register(TestController { routes in
            routes.get("/book") { _ in
                let result = DeferredResult<Book>()
                result.setResult(Book(title: "Dune"))
                return result
            }
            routes.get("/nothing") { _ in Callable { () } }
            routes.get("/entity") { _ in Callable { ResponseEntity(status: .created, headers: ["location": "/b/1"], body: Book(title: "Emma")) } }
        })
        try await app.test(.inProcess) { client throws in
            let book = try await client.get("/book")
            #expect(book.header("content-type") == "application/json")
            #expect(try book.decode(Book.self) == Book(title: "Dune"))
            #expect(try await client.get("/nothing").status == .noContent)
            let entity = try await client.get("/entity")
            #expect(entity.status == .created)
            #expect(entity.header("location") == "/b/1")
        }
    }
}
