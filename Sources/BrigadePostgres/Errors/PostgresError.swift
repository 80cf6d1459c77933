/// An error from PostgreSQL or from talking to it.
///
/// Server errors carry the fields PostgreSQL sends: ``sqlState`` (`23505` for a unique
/// violation), ``message``, ``detail``, ``hint``, ``constraint``… Match on ``code`` for the
/// kind and on ``sqlState`` for the server's reason:
/// ```swift
/// catch let error as PostgresError where error.sqlState == PostgresError.SQLState.uniqueViolation { … }
/// ```
/// `description` is redacted (code and SQLSTATE only), because server messages and details
/// can contain row values; `debugDescription` (`String(reflecting:)`) has everything.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case server, connection, connectTimeout, connectionClosed, timeout, cancelled
            case encoding, misuse, tierViolation, poolShutdown
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server answered with an error (see ``PostgresError/sqlState``).
        public static let server = Code(.server)
        /// Connecting failed, or the connection broke while in use.
        public static let connection = Code(.connection)
        /// Connecting took longer than the connect timeout or deadline.
        public static let connectTimeout = Code(.connectTimeout)
        /// The connection was closed by ``PostgresConnection/close()`` before this call.
        public static let connectionClosed = Code(.connectionClosed)
        /// The deadline passed; a running statement was cancelled on the server.
        public static let timeout = Code(.timeout)
        /// The work's cancellation signal fired; a running statement was cancelled.
        public static let cancelled = Code(.cancelled)
        /// A parameter could not be encoded.
        public static let encoding = Code(.encoding)
        /// The API was used wrongly (mixing interpolated and explicit parameters…).
        public static let misuse = Code(.misuse)
        /// A blocking database call was made on a thread whose tier forbids it.
        public static let tierViolation = Code(.tierViolation)
        /// The pool was shut down.
        public static let poolShutdown = Code(.poolShutdown)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The five-character SQLSTATE of a server error (`23505`), `nil` for client-side errors.
    public let sqlState: String?
    /// The server's or libpq's primary message.
    public let message: String
    /// The server's severity (`ERROR`, `FATAL`).
    public let severity: String?
    /// The server's detail line (may contain row values).
    public let detail: String?
    /// The server's suggestion.
    public let hint: String?
    /// The 1-based character offset in the statement where the error was found.
    public let position: Int?
    /// The schema of the object concerned.
    public let schema: String?
    /// The table concerned.
    public let table: String?
    /// The column concerned.
    public let column: String?
    /// The constraint that was violated.
    public let constraint: String?
    /// The server's context lines (the PL/pgSQL call stack, …).
    public let whereContext: String?

    init(
        code: Code, message: String, sqlState: String? = nil, severity: String? = nil,
        detail: String? = nil, hint: String? = nil, position: Int? = nil, schema: String? = nil,
        table: String? = nil, column: String? = nil, constraint: String? = nil, whereContext: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.position = position
        self.schema = schema
        self.table = table
        self.column = column
        self.constraint = constraint
        self.whereContext = whereContext
    }

    static func server(
        sqlState: String, severity: String?, message: String, detail: String?, hint: String?,
        position: Int?, schema: String?, table: String?, column: String?, constraint: String?,
        whereContext: String?
    ) -> PostgresError {
        PostgresError(
            code: .server, message: message, sqlState: sqlState, severity: severity, detail: detail,
            hint: hint, position: position, schema: schema, table: table, column: column,
            constraint: constraint, whereContext: whereContext)
    }

    static func connection(_ message: String) -> PostgresError { PostgresError(code: .connection, message: message) }
    static func connectTimeout() -> PostgresError { PostgresError(code: .connectTimeout, message: "timed out connecting to PostgreSQL") }
    static func closed() -> PostgresError { PostgresError(code: .connectionClosed, message: "the connection is closed") }
    static func timeout(_ message: String = "deadline passed; the statement was cancelled") -> PostgresError {
        PostgresError(code: .timeout, message: message)
    }
    static func cancelled(_ reason: String) -> PostgresError { PostgresError(code: .cancelled, message: "cancelled: \(reason)") }
    static func misuse(_ message: String) -> PostgresError { PostgresError(code: .misuse, message: message) }
    static func encoding(_ message: String) -> PostgresError { PostgresError(code: .encoding, message: message) }

    /// Whether the connection can no longer be used after this error.
    public var isConnectionFailure: Bool {
        code == .connection || code == .connectTimeout || code == .connectionClosed
            || (sqlState.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P02" || $0 == "57P03" } ?? false)
    }

    /// Code and SQLSTATE only; use `String(reflecting:)` for the message and details.
    public var description: String {
        if let sqlState { return "PostgresError(code: \(code), sqlState: \(sqlState))" }
        return "PostgresError(code: \(code))"
    }

    /// Everything, including the server's message and detail (which may contain row values).
    public var debugDescription: String {
        var parts = ["code: \(code)"]
        if let sqlState { parts.append("sqlState: \(sqlState)") }
        parts.append("message: \(message)")
        if let detail { parts.append("detail: \(detail)") }
        if let hint { parts.append("hint: \(hint)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        if let table { parts.append("table: \(table)") }
        if let column { parts.append("column: \(column)") }
        if let position { parts.append("position: \(position)") }
        return "PostgresError(\(parts.joined(separator: ", ")))"
    }

    /// Frequently matched SQLSTATE values.
    public enum SQLState {
        /// `23505`
        public static let uniqueViolation = "23505"
        /// `23503`
        public static let foreignKeyViolation = "23503"
        /// `23502`
        public static let notNullViolation = "23502"
        /// `23514`
        public static let checkViolation = "23514"
        /// `42601`
        public static let syntaxError = "42601"
        /// `42P01`
        public static let undefinedTable = "42P01"
        /// `42703`
        public static let undefinedColumn = "42703"
        /// `22P02`
        public static let invalidTextRepresentation = "22P02"
        /// `22012`
        public static let divisionByZero = "22012"
        /// `40001`
        public static let serializationFailure = "40001"
        /// `40P01`
        public static let deadlockDetected = "40P01"
        /// `57014`
        public static let queryCanceled = "57014"
    }
}
