/// The path variables of a matched route, by name (`{id}` → `id`; a trailing `**` → `**`).
public struct PathParameters: Sendable {
    private var storage: [(name: String, value: String)] = []

    /// Creates an empty set.
    public init() {}

    mutating func append(_ name: String, _ value: String) { storage.append((name, value)) }
    mutating func removeLast() { storage.removeLast() }

    /// The raw (percent-decoded) value of a variable.
    public subscript(_ name: String) -> String? {
        storage.last { $0.name == name }?.value
    }

    /// Every variable, in path order.
    public var all: [(name: String, value: String)] { storage }
}
