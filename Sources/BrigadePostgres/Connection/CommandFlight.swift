import BrigadeExecutors
import Synchronization

/// One command in flight on a connection: reads its results, and cancels it on the server
/// when the deadline passes or the work's cancellation signal fires.
///
/// Created and used on the connection's thread; only the cancel handler it registers runs
/// elsewhere, and that touches nothing but a `Sendable` flag and libpq's cancel object.
final class CommandFlight {
    /// How long to wait for the server to answer after a cancel request before giving up on
    /// the connection.
    static let cancelGrace: Duration = .seconds(5)

    private let pq: LibPQConnection
    private let scope: OperationScope
    private let signalled = SignalFlag()
    private var registration: CancellationSignal.Registration?
    private(set) var timedOut = false
    private var graceDeadline: ContinuousClock.Instant?
    /// Set when the server never answered the cancel: the connection must be dropped.
    private(set) var abandoned = false

    init(pq: LibPQConnection, scope: OperationScope) {
        self.pq = pq
        self.scope = scope
        if let signal = scope.cancellation {
            let canceller = pq.canceller
            let flag = signalled
            registration = signal.onCancel { _ in
                flag.set()
                canceller?.cancelInBackground()  // the signalling thread may be an event loop
            }
        }
    }

    /// Call once the command is sent: a cancel that raced with sending is sent again.
    func sent() {
        if signalled.isSet { pq.canceller?.cancel() }
    }

    /// Removes the cancel handler.
    func finish() {
        scope.cancellation?.remove(registration)
        registration = nil
    }

    /// The next result; `nil` at the end of the current command's results.
    func next() throws(PostgresError) -> LibPQResult? {
        try waiting { pq, deadline throws(LibPQConnection.WaitFailure) in try pq.nextResult(deadline: deadline) }
    }

    /// The next chunk of a `COPY … TO STDOUT`, with the same deadline and cancel rules as
    /// ``next()``.
    func nextCopyData() throws(PostgresError) -> LibPQConnection.CopyOut {
        try waiting { pq, deadline throws(LibPQConnection.WaitFailure) in try pq.getCopyData(deadline: deadline) }
    }

    /// Runs a wait on the server: when the deadline passes, sends a cancel and waits up to
    /// ``cancelGrace`` more for the server to answer it; past that the connection is abandoned.
    private func waiting<T>(
        _ wait: (LibPQConnection, ContinuousClock.Instant?) throws(LibPQConnection.WaitFailure) -> T
    ) throws(PostgresError) -> T {
        while true {
            do {
                return try wait(pq, timedOut ? graceDeadline : scope.deadline)
            } catch {
                switch error {
                case .timedOut:
                    if timedOut {
                        abandoned = true
                        throw PostgresError.timeout("deadline passed and the server did not answer the cancel request")
                    }
                    timedOut = true
                    graceDeadline = .now + Self.cancelGrace
                    pq.canceller?.cancel()
                case .connectionLost(let message):
                    throw PostgresError.connection(message)
                }
            }
        }
    }

    /// The consumer stopped reading: asks the server to cancel the command (its remaining
    /// results are then drained and dropped).
    func cancelOnServer() {
        pq.canceller?.cancel()
    }

    /// The error a failed result stands for: a `query_canceled` caused by this flight's
    /// deadline or signal becomes `.timeout` / `.cancelled`.
    func error(for result: LibPQResult) -> PostgresError {
        let error = result.serverError()
        guard error.sqlState == PostgresError.SQLState.queryCanceled else { return error }
        if timedOut { return .timeout() }
        if signalled.isSet { return .cancelled(scope.cancellation?.reason ?? "work cancelled") }
        return error
    }
}

/// A flag set from a cancel handler on another thread.
final class SignalFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

extension PostgresConnection {
    /// Sends a command with `send`, drains all its results, and throws the first error.
    /// - Returns: The results, none of them an error.
    func exchange(_ scope: OperationScope, send: (LibPQConnection) -> Bool) throws -> [LibPQResult] {
        let pq = try handle()
        let flight = CommandFlight(pq: pq, scope: scope)
        defer {
            flight.finish()
            if flight.abandoned { close() }
        }
        guard send(pq) else { throw PostgresError.connection(pq.errorMessage) }
        flight.sent()
        var results: [LibPQResult] = []
        var firstError: PostgresError?
        while let result = try flight.next() {
            if result.status == .error {
                if firstError == nil { firstError = flight.error(for: result) }
            } else {
                results.append(result)
            }
        }
        if let firstError { throw firstError }
        return results
    }
}
