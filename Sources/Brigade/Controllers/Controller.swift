/// A controller: a class (or struct) that holds its dependencies and registers its routes.
///
/// ```swift
/// final class GreetingController: Controller {
///     func register(with routes: Routes) {
///         routes.get("/hello/{name}", greet)
///     }
///
///     func greet(_ request: Request) throws -> Greeting {
///         Greeting(message: "Hello, \(try request.path("name", as: String.self))!")
///     }
/// }
/// ```
/// Handlers run on front threads; controllers are shared by all of them, hence `Sendable`.
public protocol Controller: Sendable {
    /// Registers the controller's routes and error handlers. Called once, at start-up.
    func register(with routes: Routes)
}
