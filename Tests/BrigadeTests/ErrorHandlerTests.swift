import Brigade
import BrigadeTesting
import Testing

/// Per-controller (`@ExceptionHandler`) and application-wide (`@ControllerAdvice`) handlers.
@Suite struct ErrorHandlerTests {
    struct OutOfStock: Error { let item: String }
    struct Broken: Error {}

    /// Handles `OutOfStock` itself.
    struct ShopController: Controller {
        func register(with routes: Routes) {
            routes.get("/shop/{item}") { request -> String in throw OutOfStock(item: try request.path("item", as: String.self)) }
            routes.group("/shop-api").get("/{item}") { request -> String in throw OutOfStock(item: try request.path("item", as: String.self)) }
            routes.onError(OutOfStock.self) { error, _ in
                ResponseEntity(status: .gone, body: ["reason": "controller: \(error.item) sold out"])
            }
        }
    }

    /// Leaves everything to the application.
    struct WarehouseController: Controller {
        func register(with routes: Routes) {
            routes.get("/warehouse/{item}") { request -> String in throw OutOfStock(item: try request.path("item", as: String.self)) }
            routes.get("/broken") { _ -> String in throw Broken() }
        }
    }

    func app() -> Application {
        var app = Application(configuration: testConfiguration())
        app.register(ShopController())
        app.register(WarehouseController())
        app.onError(OutOfStock.self) { error, _ in
            HTTPError(.unprocessableEntity, "application: \(error.item) unavailable")
        }
        app.onError(Broken.self) { _, _ -> String in
            struct HandlerFailure: Error {}
            throw HandlerFailure()
        }
        return app
    }

    @Test func controllerHandlerWinsOverApplicationHandler() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/shop/apples")
            #expect(response.status == .gone)
            #expect(try response.decode([String: String].self) == ["reason": "controller: apples sold out"])
        }
    }

    @Test func controllerHandlerCoversItsRouteGroups() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/shop-api/pears")
            #expect(response.status == .gone)
        }
    }

    @Test func applicationHandlerAppliesToControllersWithoutTheirOwn() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/warehouse/bolts")
            try expectProblem(response, .unprocessableEntity, detailContains: "application: bolts unavailable")
        }
    }

    @Test func handlerThatThrowsFallsBackToDefault500() async throws {
        try await app().test { client async throws in
            let response = try await client.get("/broken")
            try expectProblem(response, .internalServerError)
            #expect(!response.text.contains("HandlerFailure"))
        }
    }
}
