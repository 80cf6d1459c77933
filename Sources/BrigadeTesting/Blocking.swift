import BrigadeExecutors

/// Runs blocking work (a database set-up, a migration, a process start) on a thread of its
/// own and awaits it, so Swift concurrency's few threads are never blocked: a blocked
/// cooperative pool stalls every other test in the process.
/// - Parameter body: The blocking work.
/// - Returns: Its value.
/// - Throws: What `body` threw.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        ThreadPool.detachThread { continuation.resume(with: Result(catching: body)) }
    }
}
