import Brigade

/// The TechEmpower Framework Benchmarks test types.
///
/// `/plaintext` and `/json` are plain handlers (rendered on the front thread that ran them);
/// the database tests return a `Callable`, so the front thread is released while the query
/// runs on a `back:default` thread.
final class TechEmpowerController: Controller {
    let repository: WorldRepository

    init(repository: WorldRepository) {
        self.repository = repository
    }

    func register(with routes: Routes) {
        routes.get("/plaintext") { _ in "Hello, World!" }
        routes.get("/json") { _ in Message(message: "Hello, World!") }
        routes.get("/db") { [repository] _ in
            Callable { try repository.randomWorld() }
        }
        routes.get("/queries") { [repository] request in
            let count = Self.queries(request)
            return Callable { try repository.randomWorlds(count) }
        }
        routes.get("/fortunes") { [repository] _ in
            Callable { FortunesPage(stored: try repository.fortunes()) }
        }
        routes.get("/updates") { [repository] request in
            let count = Self.queries(request)
            return Callable { try repository.updateRandomWorlds(count) }
        }
    }

    /// The `queries` parameter as TechEmpower defines it: missing or not a number → 1,
    /// otherwise clamped to 1…500.
    static func queries(_ request: Request) -> Int {
        guard let text = request.queryValue("queries"), let number = Int(text) else { return 1 }
        return min(max(number, 1), 500)
    }
}
