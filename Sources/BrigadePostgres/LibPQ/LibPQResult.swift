import CBrigadeLibPQ

/// Owns one `PGresult*`; `PQclear` runs when the last reference goes.
///
/// A `PGresult` is immutable once libpq hands it over and does not refer to its connection,
/// so rows can outlive the connection and be read from any thread.
final class LibPQResult: @unchecked Sendable {
    // @unchecked Sendable: libpq never mutates a PGresult after returning it, and every method
    // here only reads it; the pointer is freed once, in deinit.
    let raw: OpaquePointer

    init(_ raw: OpaquePointer) { self.raw = raw }
    deinit { PQclear(raw) }

    enum Status {
        case commandOK, tuplesOK, singleTuple, copyIn, copyOut, emptyQuery, pipelineSync, pipelineAborted, error, other
    }

    var status: Status {
        switch PQresultStatus(raw) {
        case PGRES_COMMAND_OK: .commandOK
        case PGRES_TUPLES_OK: .tuplesOK
        case PGRES_SINGLE_TUPLE: .singleTuple
        case PGRES_COPY_IN: .copyIn
        case PGRES_COPY_OUT: .copyOut
        case PGRES_EMPTY_QUERY: .emptyQuery
        case PGRES_PIPELINE_SYNC: .pipelineSync
        case PGRES_PIPELINE_ABORTED: .pipelineAborted
        case PGRES_FATAL_ERROR, PGRES_BAD_RESPONSE, PGRES_NONFATAL_ERROR: .error
        default: .other
        }
    }

    var rowCount: Int { Int(PQntuples(raw)) }
    var columnCount: Int { Int(PQnfields(raw)) }

    func columnName(_ column: Int) -> String {
        guard let name = PQfname(raw, Int32(column)) else { return "?column?" }
        return String(cString: name)
    }

    func columnType(_ column: Int) -> UInt32 { UInt32(PQftype(raw, Int32(column))) }
    func columnFormat(_ column: Int) -> Int32 { PQfformat(raw, Int32(column)) }

    func isNull(row: Int, column: Int) -> Bool { PQgetisnull(raw, Int32(row), Int32(column)) != 0 }

    /// The raw bytes of a value; valid as long as this result lives.
    func bytes(row: Int, column: Int) -> UnsafeRawBufferPointer {
        let length = Int(PQgetlength(raw, Int32(row), Int32(column)))
        guard let pointer = PQgetvalue(raw, Int32(row), Int32(column)) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(pointer), count: length)
    }

    /// The command tag's row count (`INSERT 0 3` → 3), or 0.
    var affectedRows: Int {
        guard let text = PQcmdTuples(raw) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    var commandTag: String {
        guard let text = PQcmdStatus(raw) else { return "" }
        return String(cString: text)
    }

    /// One diagnostic field of an error result (`PG_DIAG_*`, given as its letter).
    func errorField(_ code: Character) -> String? {
        guard let ascii = code.asciiValue, let value = PQresultErrorField(raw, Int32(ascii)) else { return nil }
        return String(cString: value)
    }

    var errorMessage: String {
        guard let text = PQresultErrorMessage(raw) else { return "" }
        return String(cString: text)
    }

    /// The server's error fields as a ``PostgresError``.
    func serverError() -> PostgresError {
        let primary = errorField("M") ?? errorMessage.trimmingTrailingNewlines
        return PostgresError.server(
            sqlState: errorField("C") ?? "XX000",
            severity: errorField("V") ?? errorField("S"),
            message: primary.isEmpty ? "unknown server error" : primary,
            detail: errorField("D"),
            hint: errorField("H"),
            position: errorField("P").flatMap { Int($0) },
            schema: errorField("s"),
            table: errorField("t"),
            column: errorField("c"),
            constraint: errorField("n"),
            whereContext: errorField("W")
        )
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = self
        while let last = s.last, last == "\n" || last == "\r" { s.removeLast() }
        return s
    }
}
