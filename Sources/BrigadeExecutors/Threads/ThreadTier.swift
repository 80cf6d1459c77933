/// The tier a thread belongs to, which decides what it may do.
///
/// Every thread Brigade starts knows its tier: pool threads learn it when they start, and
/// the connector marks its event-loop threads. Code anywhere can ask ``current`` — the
/// database layer uses it to refuse blocking calls on event loops and to report them on the
/// front tier.
public enum ThreadTier: Sendable, Hashable, CustomStringConvertible {
    /// A thread of the front ("container") pool: routing, controllers, rendering.
    case front
    /// A thread of a back executor, named after it (`back:default`, `back:reports`).
    case back(String)
    /// A SwiftNIO event-loop thread: I/O only; never blocks, never runs user code.
    case eventLoop
    /// A thread Brigade did not start (the main thread, Swift concurrency's pool, a test's).
    case unmanaged

    /// The tier of the calling thread.
    public static var current: ThreadTier { ThreadIdentity.current?.tier ?? .unmanaged }

    /// The name of the calling thread: `front-3`, `back:reports-1`, or the system's name for
    /// threads Brigade did not start.
    public static var currentThreadName: String { ThreadIdentity.currentName }

    /// Records the calling thread's tier and name. The connector calls it on each event loop;
    /// pools call it on their own threads. Rarely needed in user code.
    /// - Parameters:
    ///   - tier: The tier to report from now on for this thread.
    ///   - name: The name to report; `nil` keeps the system's thread name.
    public static func markCurrentThread(_ tier: ThreadTier, name: String? = nil) {
        ThreadIdentity.set(ThreadIdentity(tier: tier, name: name ?? ThreadIdentity.systemName()))
    }

    /// `front`, `back:<name>`, `event-loop` or `unmanaged`.
    public var description: String {
        switch self {
        case .front: "front"
        case .back(let name): "back:\(name)"
        case .eventLoop: "event-loop"
        case .unmanaged: "unmanaged"
        }
    }

    /// Whether this is a back tier (any executor).
    public var isBack: Bool {
        if case .back = self { return true }
        return false
    }
}
