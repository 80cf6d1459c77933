import Brigade

/// The `hello` example's controller: text, a path variable, a JSON body, and the thread
/// that ran the handler.
final class HelloController: Controller {
    struct Greeting: Codable, Sendable {
        let message: String
    }

    struct ThreadReport: Codable, Sendable {
        let thread: String
        let tier: String
    }

    func register(with routes: Routes) {
        routes.get("/hello") { _ in "Hello, World!" }
        routes.get("/hello/{name}", greet)
        routes.post("/echo", echo)
        routes.get("/thread") { _ in
            ThreadReport(thread: ThreadTier.currentThreadName, tier: ThreadTier.current.description)
        }
    }

    /// `GET /hello/{name}` → `{"message":"Hello, <name>!"}`
    func greet(_ request: Request) throws -> Greeting {
        Greeting(message: "Hello, \(try request.path("name", as: String.self))!")
    }

    /// `POST /echo` with `{"message": "…"}` → the same JSON; 400 when malformed.
    func echo(_ request: Request) throws -> Greeting {
        try request.decode(Greeting.self)
    }
}
