import BrigadeExecutors
import Logging

/// Large results and bulk data without holding them in memory: rows one at a time (libpq's
/// single-row mode), and `COPY … FROM STDIN` / `COPY … TO STDOUT`.
///
/// The same rules as ``PostgresConnection/query(_:_:deadline:)``: the explicit deadline or the
/// current ``WorkContext``'s, cancellation by its signal (the statement is cancelled on the
/// server), and a consumer that stops — its closure throws — cancels the statement too.
extension PostgresConnection {
    /// Runs a query and hands its rows to `body` one at a time, as they arrive: the result is
    /// never held whole in memory (only the row being handled).
    ///
    /// ```swift
    /// try connection.forEachRow("SELECT id, title FROM books ORDER BY id") { row in
    ///     let (id, title) = try row.decode((Int, String).self)
    ///     try writer.write("\(id),\(title)\n")      // a StreamingResponseBody's writer
    /// }
    /// ```
    /// To stop early, throw from `body`: the statement is cancelled on the server, the rows
    /// still in flight are dropped, and the error is rethrown (inside a transaction, the
    /// transaction is then aborted). Rows handed to `body` stay valid after it returns if
    /// kept, but keeping them all defeats the purpose.
    /// - Parameters:
    ///   - query: The statement; interpolated values are bound as parameters.
    ///   - parameters: Values for `$1`, `$2`, … when the query has no interpolated values.
    ///   - deadline: When to cancel the statement; default the current ``WorkContext``'s.
    ///   - body: Called for each row, on this thread.
    /// - Returns: How many rows `body` handled.
    /// - Throws: What `body` threw; ``PostgresError`` for the statement (`.timeout`,
    ///   `.cancelled`, a server error).
    @discardableResult
    public func forEachRow(
        _ query: PostgresQuery,
        _ parameters: [(any PostgresBindable)?] = [],
        deadline: ContinuousClock.Instant? = nil,
        _ body: (PostgresRow) throws -> Void
    ) throws -> Int {
        let scope = try OperationScope.current(deadline: deadline ?? leaseDeadline)
        let bindings = try Self.bindings(for: query, parameters)
        let key = StatementCache.Key(sql: query.sql, types: bindings.types)
        let name = statements.capacity == 0 ? nil : try preparedName(sql: query.sql, types: bindings.types, scope: scope)
        let pq = try handle()
        let flight = CommandFlight(pq: pq, scope: scope)
        defer {
            flight.finish()
            if flight.abandoned { close() }
        }
        let sent = name.map { pq.sendQueryPrepared(name: $0, bindings: bindings) } ?? pq.sendQueryParams(sql: query.sql, bindings: bindings)
        guard sent else { throw PostgresError.connection(pq.errorMessage) }
        let singleRows = pq.setSingleRowMode()
        flight.sent()
        var columns: [PostgresColumn]?
        var handled = 0
        var stopped: (any Error)?
        var serverError: PostgresError?
        while let result = try flight.next() {
            switch result.status {
            case .singleTuple, .tuplesOK:
                guard stopped == nil, serverError == nil, result.rowCount > 0 else { continue }
                let rows = columns.map { PostgresRows(result: result, columns: $0) } ?? PostgresRows(result: result)
                columns = rows.columns
                do {
                    for row in rows {
                        try body(row)
                        handled += 1
                    }
                } catch {
                    stopped = error
                    flight.cancelOnServer()
                }
            case .error:
                if serverError == nil { serverError = flight.error(for: result) }
            default:
                continue
            }
        }
        if let stopped { throw stopped }  // the server's "canceled" is its consequence
        if let serverError {
            if serverError.sqlState == "26000" || serverError.sqlState == "0A000" { statements.remove(key) }
            throw serverError
        }
        if !singleRows { logger.debug("single-row mode was refused; the rows came in one result") }
        return handled
    }

    /// Runs `COPY … FROM STDIN` and sends it the data `write` produces, a chunk at a time —
    /// never the whole input in memory.
    ///
    /// ```swift
    /// let imported = try connection.copyIn("COPY books (title, isbn) FROM STDIN (FORMAT csv)") { copy in
    ///     while let chunk = try upload.read() { try copy.write(chunk) }
    /// }
    /// ```
    /// When `write` throws (a bad upload, the client gone) the COPY is aborted on the server
    /// and nothing of it is kept; the error is rethrown. A row the server refuses fails the
    /// statement with a ``PostgresError`` whose ``PostgresError/copyLine`` names the line.
    /// - Parameters:
    ///   - statement: A `COPY … FROM STDIN` statement, without bound values (COPY takes none).
    ///   - deadline: When to abort it; default the current ``WorkContext``'s.
    ///   - write: Writes the data (in the statement's format) through the writer, on this thread.
    /// - Returns: The number of rows copied.
    /// - Throws: What `write` threw; ``PostgresError`` (`.misuse` for a statement that is not
    ///   a `COPY … FROM STDIN`).
    @discardableResult
    public func copyIn(
        _ statement: PostgresQuery,
        deadline: ContinuousClock.Instant? = nil,
        _ write: (PostgresCopyWriter) throws -> Void
    ) throws -> Int {
        guard statement.interpolatedParameterCount == 0 else {
            throw PostgresError.misuse("COPY cannot take bound values; write them as data")
        }
        let scope = try OperationScope.current(deadline: deadline ?? leaseDeadline)
        let pq = try handle()
        let flight = CommandFlight(pq: pq, scope: scope)
        defer {
            flight.finish()
            if flight.abandoned { close() }
        }
        try beginCopy(statement, flight: flight, pq: pq, expecting: .copyIn, shape: "COPY … FROM STDIN")
        guard pq.setNonBlocking(true) else { throw PostgresError.connection(pq.errorMessage) }
        defer { _ = pq.setNonBlocking(false) }
        let writer = PostgresCopyWriter(pq: pq, scope: scope)
        var failure: (any Error)?
        do {
            try write(writer)
            try writer.checkScope()
        } catch {
            failure = error
        }
        writer.close()
        let abort: String? = failure.map { "COPY aborted by the client: \($0)" }
        do {
            // Ending must not wait forever even when the deadline already passed.
            try pq.putCopyEnd(error: abort, deadline: max(scope.deadline ?? .now, .now) + CommandFlight.cancelGrace)
        } catch {
            close()
            throw failure ?? PostgresError.connection(pq.errorMessage)
        }
        let (copied, serverError) = try endCopy(flight)
        if let failure { throw failure }
        if let serverError { throw serverError }
        return copied
    }

    /// Runs `COPY … TO STDOUT` and hands its data to `body` a chunk at a time (a row, for
    /// the text and CSV formats) — never the whole output in memory.
    ///
    /// ```swift
    /// try connection.copyOut("COPY books TO STDOUT (FORMAT csv, HEADER)") { chunk in
    ///     try writer.write(chunk)      // a StreamingResponseBody's writer
    /// }
    /// ```
    /// To stop early, throw from `body`: the statement is cancelled on the server, what is in
    /// flight is dropped, and the error is rethrown.
    /// - Parameters:
    ///   - statement: A `COPY … TO STDOUT` statement (or `COPY (SELECT …) TO STDOUT`),
    ///     without bound values.
    ///   - deadline: When to cancel it; default the current ``WorkContext``'s.
    ///   - body: Called for each chunk, on this thread; the bytes are valid during the call.
    /// - Returns: The number of rows copied.
    /// - Throws: What `body` threw; ``PostgresError``.
    @discardableResult
    public func copyOut(
        _ statement: PostgresQuery,
        deadline: ContinuousClock.Instant? = nil,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        guard statement.interpolatedParameterCount == 0 else {
            throw PostgresError.misuse("COPY cannot take bound values; use COPY (SELECT …) with literals checked by you, or forEachRow")
        }
        let scope = try OperationScope.current(deadline: deadline ?? leaseDeadline)
        let pq = try handle()
        let flight = CommandFlight(pq: pq, scope: scope)
        defer {
            flight.finish()
            if flight.abandoned { close() }
        }
        try beginCopy(statement, flight: flight, pq: pq, expecting: .copyOut, shape: "COPY … TO STDOUT")
        var stopped: (any Error)?
        copying: while true {
            switch try flight.nextCopyData() {
            case .chunk(let bytes, let release):
                defer { pq.release(release) }
                guard stopped == nil else { continue }
                do {
                    try body(bytes)
                } catch {
                    stopped = error
                    flight.cancelOnServer()
                }
            case .done:
                break copying
            }
        }
        let (copied, serverError) = try endCopy(flight)
        if let stopped { throw stopped }
        if let serverError { throw serverError }
        return copied
    }
}

extension PostgresConnection {
    /// Sends a COPY statement and checks that the server began a COPY in the `expecting`
    /// direction; otherwise brings the statement to its end and throws its error (or `.misuse`).
    private func beginCopy(
        _ statement: PostgresQuery, flight: CommandFlight, pq: LibPQConnection, expecting: LibPQResult.Status, shape: String
    ) throws {
        guard pq.sendSimple(statement.sql) else { throw PostgresError.connection(pq.errorMessage) }
        flight.sent()
        guard let first = try flight.next() else { throw PostgresError.misuse("the statement returned nothing; expected \(shape)") }
        guard first.status == expecting else {
            let error = first.status == .error ? flight.error(for: first) : PostgresError.misuse("the statement is not a \(shape)")
            try finishUnwanted(first, flight: flight, pq: pq)
            throw error
        }
    }

    /// Reads a COPY's final results: the rows it copied, and the server's first error.
    private func endCopy(_ flight: CommandFlight) throws -> (copied: Int, error: PostgresError?) {
        var copied = 0
        var serverError: PostgresError?
        while let result = try flight.next() {
            if result.status == .error {
                if serverError == nil { serverError = flight.error(for: result) }
            } else if result.status == .commandOK {
                copied = result.affectedRows
            }
        }
        return (copied, serverError)
    }

    /// Brings a statement that turned out not to be the one expected to its end, so that the
    /// connection can serve again: a COPY in the other direction is ended (in) or drained
    /// (out) — libpq would otherwise report it forever — then the remaining results are read.
    private func finishUnwanted(_ first: LibPQResult, flight: CommandFlight, pq: LibPQConnection) throws {
        switch first.status {
        case .copyIn:
            do {
                try pq.putCopyEnd(error: "not the COPY direction the client expected", deadline: .now + CommandFlight.cancelGrace)
            } catch {
                close()
                return
            }
        case .copyOut:
            flight.cancelOnServer()
            while case .chunk(_, let release) = try flight.nextCopyData() { pq.release(release) }
        default:
            break
        }
        while let _ = try flight.next() {}
    }
}

/// Sends the data of a `COPY … FROM STDIN`; valid only inside
/// ``PostgresConnection/copyIn(_:deadline:_:)``'s closure, on its thread.
///
/// Writes queue in libpq's buffer and go out as the socket takes them; a write waits for
/// room (the server reading) no longer than the statement's deadline.
public final class PostgresCopyWriter {
    private let pq: LibPQConnection
    private let scope: OperationScope
    private var isOpen = true

    init(pq: LibPQConnection, scope: OperationScope) {
        self.pq = pq
        self.scope = scope
    }

    /// Sends bytes.
    /// - Throws: ``PostgresError`` `.timeout`, `.cancelled`, `.connection`, or `.misuse`
    ///   after the closure returned.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard isOpen else { throw PostgresError.misuse("the COPY writer was used after copyIn returned") }
        try checkScope()
        do {
            try pq.putCopyData(bytes, deadline: scope.deadline)
        } catch {
            switch error {
            case .timedOut: throw PostgresError.timeout("deadline passed while sending COPY data")
            case .connectionLost(let message): throw PostgresError.connection(message)
            }
        }
    }

    /// Sends bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Sends a string's UTF-8 bytes.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    func checkScope() throws {
        if let reason = scope.cancellation?.reason { throw PostgresError.cancelled(reason) }
        if let deadline = scope.deadline, ContinuousClock.now >= deadline {
            throw PostgresError.timeout("deadline passed while sending COPY data")
        }
    }

    func close() { isOpen = false }
}

extension PostgresError {
    /// For an error in a `COPY … FROM STDIN`: the line of the data the server refused
    /// (1 is the first line, the header line included), from the error's context
    /// (`COPY books, line 3, column isbn: "x"`).
    public var copyLine: Int? {
        guard let context = whereContext, context.hasPrefix("COPY ") else { return nil }
        let marker = ", line "
        var rest = Substring(context)
        while !rest.isEmpty {
            if rest.hasPrefix(marker) { return Int(rest.dropFirst(marker.count).prefix { $0.isNumber }) }
            rest = rest.dropFirst()
        }
        return nil
    }
}
