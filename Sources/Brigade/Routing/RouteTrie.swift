import BrigadeHTTP
import NIOHTTP1

/// Path templates compiled into a trie at start-up; matching walks it segment by segment.
///
/// Static segments win over `{variables}`, which win over a trailing `**`; the walk
/// backtracks, so `/users/new` and `/users/{id}` coexist. Immutable once built.
final class RouteTrie: Sendable {
    final class Node: Sendable {
        let staticChildren: [String: Node]
        let variable: Node?
        let catchAll: [String: Route]
        let routes: [String: Route]

        init(staticChildren: [String: Node], variable: Node?, catchAll: [String: Route], routes: [String: Route]) {
            self.staticChildren = staticChildren
            self.variable = variable
            self.catchAll = catchAll
            self.routes = routes
        }
    }

    /// The outcome of matching a path.
    enum Match {
        /// A route for the path and method, with the path variables.
        case found(Route, PathParameters)
        /// The path exists, but not for this method; `allowed` lists the methods it has.
        case methodNotAllowed(allowed: [String])
        /// No template matches the path.
        case notFound
        /// A path variable has a broken percent-escape.
        case badPath
    }

    let root: Node
    /// Templates without variables, by their exact path: most requests are found with one
    /// hash lookup, without splitting the path.
    let staticRoutes: [String: [String: Route]]

    init(root: Node, staticRoutes: [String: [String: Route]]) {
        self.root = root
        self.staticRoutes = staticRoutes
    }

    func match(method: HTTPMethod, path: Substring) -> Match {
        if let routes = staticRoutes[String(path)], let route = Self.select(method, in: routes) {
            return .found(route, PathParameters())
        }
        return walk(method: method, path: path)
    }

    private func walk(method: HTTPMethod, path: Substring) -> Match {
        var segments: [Substring] = []
        segments.reserveCapacity(8)
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) { segments.append(segment) }
        var values: [Substring] = []
        var allowed: Set<String> = []
        guard let route = walk(root, segments[...], method, &values, &allowed) else {
            return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: Self.ordered(allowed))
        }
        var parameters = PathParameters()
        for (name, raw) in zip(route.variableNames, values) {
            guard let value = URLDecoding.decodePath(raw) else { return .badPath }
            parameters.append(name, value)
        }
        return .found(route, parameters)
    }

    /// The route for `method` among one template's routes; `HEAD` falls back to `GET`.
    private static func select(_ method: HTTPMethod, in routes: [String: Route]) -> Route? {
        if let route = routes[method.rawValue] { return route }
        if method == .HEAD { return routes[HTTPMethod.GET.rawValue] }
        return nil
    }

    private static func methods(of routes: [String: Route]) -> Set<String> {
        var methods = Set(routes.keys)
        if methods.contains("GET") { methods.insert("HEAD") }
        methods.insert("OPTIONS")
        return methods
    }

    private static func ordered(_ methods: Set<String>) -> [String] {
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        return methods.sorted { (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1) }
    }

    private func walk(
        _ node: Node, _ segments: ArraySlice<Substring>, _ method: HTTPMethod,
        _ values: inout [Substring], _ allowed: inout Set<String>
    ) -> Route? {
        guard let segment = segments.first else {
            if !node.routes.isEmpty {
                allowed.formUnion(Self.methods(of: node.routes))
                if let route = Self.select(method, in: node.routes) { return route }
            }
            if !node.catchAll.isEmpty {
                allowed.formUnion(Self.methods(of: node.catchAll))
                if let route = Self.select(method, in: node.catchAll) {
                    values.append("")
                    return route
                }
            }
            return nil
        }
        let rest = segments.dropFirst()
        if let child = node.staticChildren[String(segment)], let route = walk(child, rest, method, &values, &allowed) {
            return route
        }
        if let child = node.variable {
            values.append(segment)
            if let route = walk(child, rest, method, &values, &allowed) { return route }
            values.removeLast()
        }
        if !node.catchAll.isEmpty {
            allowed.formUnion(Self.methods(of: node.catchAll))
            if let route = Self.select(method, in: node.catchAll) {
                let start = segment.startIndex
                let end = segments.last.map(\.endIndex) ?? segment.endIndex
                values.append(segment.base[start..<end])
                return route
            }
        }
        return nil
    }
}
