import Logging

/// The context of one piece of work — usually one HTTP request — that travels with it from
/// thread to thread.
///
/// Whatever runs a part of a request (a front thread, a back thread, the front again for
/// rendering, a Swift task) sees the same `WorkContext` through ``current``: pools capture it
/// when work is submitted and install it on the thread that runs the work, and Swift tasks
/// inherit it as a task-local value. User code never copies it by hand.
///
/// ```swift
/// let user = WorkContext.current?[AuthenticatedUser.self]
/// WorkContext.current?.logger.info("loading report")   // carries request-id
/// ```
public struct WorkContext: Sendable {
    /// The request id (also in ``logger``'s metadata as `request-id`).
    public var requestID: String
    /// A logger whose metadata carries the request id and whatever else was attached.
    ///
    /// The `request-id` is added when the logger is read, so a request that logs nothing
    /// pays nothing for it.
    public var logger: Logger {
        get {
            var logger = baseLogger
            logger[metadataKey: "request-id"] = .string(requestID)
            return logger
        }
        set { baseLogger = newValue }
    }
    private var baseLogger: Logger
    /// When the work must be finished; the database layer stops waiting and cancels queries
    /// at this instant. `nil` means no deadline.
    public var deadline: ContinuousClock.Instant?
    /// Signalled when the work's result is no longer wanted (the request timed out, the
    /// client went away); long operations stop at the next opportunity.
    public var cancellation: CancellationSignal
    /// What the work is, in starvation reports and pool advice: the route (`GET /books/{id}`)
    /// once the request is routed. Threads that run the work report it while they do.
    public var activity: String?
    private var values: [ObjectIdentifier: any Sendable]

    /// Creates a context.
    /// - Parameters:
    ///   - requestID: The id used in logs and responses.
    ///   - logger: The logger to use; `request-id` is added to its metadata.
    ///   - deadline: When the work must be finished, if ever.
    ///   - cancellation: The signal that tells the work its result is no longer wanted.
    public init(
        requestID: String,
        logger: Logger,
        deadline: ContinuousClock.Instant? = nil,
        cancellation: CancellationSignal = CancellationSignal()
    ) {
        self.requestID = requestID
        self.baseLogger = logger
        self.deadline = deadline
        self.cancellation = cancellation
        self.values = [:]
    }

    /// User values attached to the context (for example the authenticated user), by key type.
    public subscript<Key: WorkContextKey>(_ key: Key.Type) -> Key.Value? {
        get { values[ObjectIdentifier(key)] as? Key.Value }
        set { values[ObjectIdentifier(key)] = newValue }
    }

    /// Time left before ``deadline``; `nil` when there is no deadline, zero or less when passed.
    public var remaining: Duration? {
        deadline.map { ContinuousClock.now.duration(to: $0) }
    }

    /// The context of the work running on the calling thread or task, if any.
    @TaskLocal public static var current: WorkContext?
}

/// A key for a user value carried by a ``WorkContext``.
///
/// ```swift
/// enum AuthenticatedUser: WorkContextKey { typealias Value = String }
/// context[AuthenticatedUser.self] = "alice"
/// ```
public protocol WorkContextKey {
    /// The type of the value stored under this key.
    associatedtype Value: Sendable
}
