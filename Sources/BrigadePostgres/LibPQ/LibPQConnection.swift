import CBrigadeLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one `PGconn*`: the only layer that talks to libpq about connections.
///
/// `PQfinish` always runs in deinit, including after a failed connect. Used by one thread at
/// a time (its ``PostgresConnection``'s owner).
final class LibPQConnection {
    let raw: OpaquePointer
    private var cancelHandle: LibPQCancel?

    private init(raw: OpaquePointer) { self.raw = raw }
    deinit { PQfinish(raw) }

    /// Why waiting for a result ended without one.
    enum WaitFailure: Error {
        case timedOut
        case connectionLost(String)
    }

    /// Opens a connection from a URL (`postgres://…`) or a conninfo string (`host=… dbname=…`).
    /// - Parameter deadline: When to give up connecting; `nil` waits as long as libpq does.
    static func connect(conninfo: String, deadline: ContinuousClock.Instant?) throws(PostgresError) -> LibPQConnection {
        let keywords = ["dbname", "client_encoding", "fallback_application_name"]
        let values = [conninfo, "UTF8", "brigade"]
        let raw: OpaquePointer? = withCStringArray(keywords) { keys in
            withCStringArray(values) { vals in PQconnectStartParams(keys, vals, 1) }
        }
        guard let raw else { throw PostgresError.connection("out of memory starting a connection") }
        let connection = LibPQConnection(raw: raw)  // PQfinish from here on, whatever happens
        if PQstatus(raw) == CONNECTION_BAD { throw PostgresError.connection(connection.errorMessage) }
        var poll = PGRES_POLLING_WRITING
        while true {
            switch poll {
            case PGRES_POLLING_OK:
                // Server notices (`NOTICE: relation exists, skipping`) would go to stderr.
                PQsetNoticeProcessor(raw, { _, _ in }, nil)
                return connection
            case PGRES_POLLING_FAILED:
                throw PostgresError.connection(connection.errorMessage)
            case PGRES_POLLING_READING, PGRES_POLLING_WRITING:
                let direction: SocketWait.Direction = poll == PGRES_POLLING_READING ? .read : .write
                if SocketWait.wait(PQsocket(raw), for: direction, deadline: deadline) == .timedOut {
                    throw PostgresError.connectTimeout()
                }
            default:
                break
            }
            poll = PQconnectPoll(raw)
        }
    }

    var isOK: Bool { PQstatus(raw) == CONNECTION_OK }
    var socket: Int32 { PQsocket(raw) }
    var backendPID: Int32 { PQbackendPID(raw) }
    var serverVersion: Int { Int(PQserverVersion(raw)) }

    var errorMessage: String {
        guard let text = PQerrorMessage(raw) else { return "unknown libpq error" }
        let message = String(cString: text).trimmingTrailingNewlines
        return message.isEmpty ? "unknown libpq error" : message
    }

    /// Whether the server side is inside a transaction block (idle, active, in error).
    var transactionStatus: PostgresConnection.TransactionStatus {
        switch PQtransactionStatus(raw) {
        case PQTRANS_IDLE: .idle
        case PQTRANS_ACTIVE: .active
        case PQTRANS_INTRANS: .inTransaction
        case PQTRANS_INERROR: .failedTransaction
        default: .unknown
        }
    }

    /// The cancel handle for this connection, made once.
    var canceller: LibPQCancel? {
        if let cancelHandle { return cancelHandle }
        cancelHandle = LibPQCancel(connection: raw)
        return cancelHandle
    }

    // MARK: sending

    /// Sends a statement with the simple query protocol (several statements allowed, no
    /// parameters, text results).
    func sendSimple(_ sql: String) -> Bool { PQsendQuery(raw, sql) == 1 }

    /// Sends `Parse` for a named statement.
    func sendPrepare(name: String, sql: String, types: [UInt32]) -> Bool {
        let oids = types.map { Oid($0) }
        return PQsendPrepare(raw, name, sql, Int32(oids.count), oids.isEmpty ? nil : oids) == 1
    }

    /// Sends `Bind`/`Execute` for a named statement, asking for binary results.
    func sendQueryPrepared(name: String, bindings: PostgresBindings) -> Bool {
        bindings.withLibPQArguments { count, values, lengths, formats in
            PQsendQueryPrepared(raw, name, count, values, lengths, formats, 1) == 1
        }
    }

    /// Sends an unnamed statement with parameters, asking for binary results.
    func sendQueryParams(sql: String, bindings: PostgresBindings) -> Bool {
        let oids = bindings.types.map { Oid($0) }
        return bindings.withLibPQArguments { count, values, lengths, formats in
            PQsendQueryParams(raw, sql, count, oids.isEmpty ? nil : oids, values, lengths, formats, 1) == 1
        }
    }

    // MARK: receiving

    /// The next result of the command in flight; `nil` when the command has no more.
    /// - Parameter deadline: When to stop waiting; the command keeps running on the server.
    func nextResult(deadline: ContinuousClock.Instant?) throws(WaitFailure) -> LibPQResult? {
        while PQisBusy(raw) != 0 {
            if SocketWait.wait(PQsocket(raw), for: .read, deadline: deadline) == .timedOut {
                throw .timedOut
            }
            if PQconsumeInput(raw) == 0 { throw .connectionLost(errorMessage) }
        }
        guard let result = PQgetResult(raw) else {
            if PQstatus(raw) == CONNECTION_BAD { throw .connectionLost(errorMessage) }
            return nil
        }
        return LibPQResult(result)
    }

    // MARK: single-row mode and COPY

    /// Asks for the command just sent to return its rows one result per row.
    func setSingleRowMode() -> Bool { PQsetSingleRowMode(raw) == 1 }

    /// What ``getCopyData(deadline:)`` read.
    enum CopyOut {
        /// One chunk (a row, for text and CSV formats); valid until the next call.
        case chunk(UnsafeRawBufferPointer, release: UnsafeMutablePointer<CChar>)
        /// The COPY ended; its final result follows with ``nextResult(deadline:)``.
        case done
    }

    /// The next chunk of a `COPY … TO STDOUT`, waiting for it until `deadline`.
    func getCopyData(deadline: ContinuousClock.Instant?) throws(WaitFailure) -> CopyOut {
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(raw, &buffer, 1)
            if length > 0, let buffer {
                return .chunk(UnsafeRawBufferPointer(start: buffer, count: Int(length)), release: buffer)
            }
            if length == -1 { return .done }
            if length == -2 { throw .connectionLost(errorMessage) }
            if SocketWait.wait(PQsocket(raw), for: .read, deadline: deadline) == .timedOut { throw .timedOut }
            if PQconsumeInput(raw) == 0 { throw .connectionLost(errorMessage) }
        }
    }

    /// Frees a chunk ``getCopyData(deadline:)`` returned.
    func release(_ chunk: UnsafeMutablePointer<CChar>) { PQfreemem(chunk) }

    /// Switches libpq's sending between blocking and not (COPY FROM waits for room itself,
    /// so that a deadline applies).
    func setNonBlocking(_ on: Bool) -> Bool { PQsetnonblocking(raw, on ? 1 : 0) == 0 }

    /// Queues `bytes` of a `COPY … FROM STDIN`, waiting for room until `deadline`.
    func putCopyData(_ bytes: UnsafeRawBufferPointer, deadline: ContinuousClock.Instant?) throws(WaitFailure) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        while true {
            let rc = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { PQputCopyData(raw, $0, Int32(bytes.count)) }
            if rc == 1 { return }
            if rc == -1 { throw .connectionLost(errorMessage) }
            try waitWritable(deadline: deadline)
        }
    }

    /// Ends a `COPY … FROM STDIN`: with `error`, the server aborts it (and the statement fails
    /// with that message). Sends everything queued, waiting until `deadline`.
    func putCopyEnd(error: String?, deadline: ContinuousClock.Instant?) throws(WaitFailure) {
        while true {
            let rc = PQputCopyEnd(raw, error)
            if rc == 1 { break }
            if rc == -1 { throw .connectionLost(errorMessage) }
            try waitWritable(deadline: deadline)
        }
        try flush(deadline: deadline)
    }

    /// Sends what libpq has queued, waiting for the socket until `deadline`.
    func flush(deadline: ContinuousClock.Instant?) throws(WaitFailure) {
        while true {
            let rc = PQflush(raw)
            if rc == 0 { return }
            if rc == -1 { throw .connectionLost(errorMessage) }
            try waitWritable(deadline: deadline)
        }
    }

    private func waitWritable(deadline: ContinuousClock.Instant?) throws(WaitFailure) {
        if SocketWait.wait(PQsocket(raw), for: .write, deadline: deadline) == .timedOut { throw .timedOut }
        // The server may be sending meanwhile (an error ending the COPY): read it, so that it
        // cannot wait on us while we wait on it.
        if PQconsumeInput(raw) == 0 { throw .connectionLost(errorMessage) }
        if PQflush(raw) == -1 { throw .connectionLost(errorMessage) }
    }

    // MARK: pipeline mode

    func enterPipelineMode() -> Bool { PQenterPipelineMode(raw) == 1 }
    func exitPipelineMode() -> Bool { PQexitPipelineMode(raw) == 1 }
    func pipelineSync() -> Bool { PQpipelineSync(raw) == 1 }

    // MARK: notifications

    /// Reads whatever arrived on the socket without blocking; `false` if the connection broke.
    func consumeInput() -> Bool { PQconsumeInput(raw) == 1 }

    /// The next notification libpq has already read, if any.
    func nextNotification() -> PostgresNotification? {
        guard let notify = PQnotifies(raw) else { return nil }
        defer { PQfreemem(notify) }
        let value = notify.pointee
        return PostgresNotification(
            channel: value.relname.map { String(cString: $0) } ?? "",
            payload: value.extra.map { String(cString: $0) } ?? "",
            backendPID: value.be_pid
        )
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = duplicates.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return body(pointers)
}
