import BrigadeExecutors
import BrigadeHTTP
import NIOHTTP1

/// Collects routes and compiles them into a ``RouteTrie``.
struct RouteTrieBuilder {
    private final class MutableNode {
        var staticChildren: [String: MutableNode] = [:]
        var variable: MutableNode?
        var catchAll: [String: Route] = [:]
        var routes: [String: Route] = [:]

        func freeze() -> RouteTrie.Node {
            RouteTrie.Node(
                staticChildren: staticChildren.mapValues { $0.freeze() }, variable: variable?.freeze(),
                catchAll: catchAll, routes: routes)
        }
    }

    private let root = MutableNode()
    private(set) var count = 0
    private var staticRoutes: [String: [String: Route]] = [:]

    /// Parses a template (`/users/{id}/books`, `/files/**`) into its variable names.
    /// - Throws: ``RoutingError`` for a malformed template.
    static func parse(_ template: String) throws(RoutingError) -> (segments: [Segment], variables: [String]) {
        guard template.hasPrefix("/") else { throw RoutingError("route template '\(template)' must start with '/'") }
        let parts = template.split(separator: "/", omittingEmptySubsequences: true)
        var segments: [Segment] = []
        var variables: [String] = []
        for (index, part) in parts.enumerated() {
            if part == "**" {
                guard index == parts.count - 1 else { throw RoutingError("in '\(template)', '**' must be the last segment") }
                segments.append(.catchAll)
                variables.append("**")
            } else if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                let name = String(part.dropFirst().dropLast())
                guard !variables.contains(name) else { throw RoutingError("in '\(template)', variable '\(name)' appears twice") }
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                    throw RoutingError("in '\(template)', '\(name)' is not a valid variable name")
                }
                segments.append(.variable)
                variables.append(name)
            } else if part.contains("{") || part.contains("}") || part.contains("*") {
                throw RoutingError("in '\(template)', segment '\(part)' mixes text and a variable; use a whole segment '{name}'")
            } else {
                segments.append(.literal(String(part)))
            }
        }
        return (segments, variables)
    }

    enum Segment: Equatable {
        case literal(String), variable, catchAll

        var literalText: String? {
            if case .literal(let text) = self { return text }
            return nil
        }
    }

    /// Adds a route.
    /// - Throws: ``RoutingError`` for a malformed template or a duplicate method and template.
    mutating func add(_ route: Route) throws(RoutingError) {
        let (segments, _) = try Self.parse(route.template)
        var node = root
        for segment in segments {
            switch segment {
            case .literal(let text):
                let next = node.staticChildren[text] ?? MutableNode()
                node.staticChildren[text] = next
                node = next
            case .variable:
                let next = node.variable ?? MutableNode()
                node.variable = next
                node = next
            case .catchAll:
                guard node.catchAll[route.method.rawValue] == nil else {
                    throw RoutingError("\(route.method.rawValue) \(route.template) is registered twice")
                }
                node.catchAll[route.method.rawValue] = route
                count += 1
                return
            }
        }
        guard node.routes[route.method.rawValue] == nil else {
            throw RoutingError("\(route.method.rawValue) \(route.template) conflicts with \(node.routes[route.method.rawValue]?.template ?? "another route")")
        }
        node.routes[route.method.rawValue] = route
        count += 1
        if segments.allSatisfy({ $0.literalText != nil }) {
            let path = "/" + segments.compactMap(\.literalText).joined(separator: "/")
            staticRoutes[path, default: [:]][route.method.rawValue] = route
        }
    }

    func build() -> RouteTrie { RouteTrie(root: root.freeze(), staticRoutes: staticRoutes) }
}

/// A route that cannot be registered (bad template, duplicate).
public struct RoutingError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, naming the route.
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension RoutingError: StartupFailure {
    /// Exit status 70 (`EX_SOFTWARE`): the routes are the program's own.
    public var diagnosis: StartupDiagnosis {
        StartupDiagnosis(problem: "invalid routes: \(message)", action: "correct the controller's routes", exitStatus: .software)
    }
}
