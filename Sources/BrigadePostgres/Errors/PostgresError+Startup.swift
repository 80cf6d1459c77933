import BrigadeExecutors

extension PostgresError: StartupFailure {
    /// For a database that cannot be reached at start-up: the libpq message (host, port,
    /// reason — no password) and exit status 69 (`EX_UNAVAILABLE`). Other kinds keep their
    /// code, SQLSTATE and message, with status 1.
    public var diagnosis: StartupDiagnosis {
        switch code {
        case .connection, .connectTimeout:
            return StartupDiagnosis(
                problem: "cannot connect to PostgreSQL (database.url): \(message)",
                action: "check database.url (DATABASE_URL) — host, port, database, user, password — and that the server is running and accepts connections",
                exitStatus: .unavailable)
        default:
            var problem = "PostgreSQL \(code)"
            if let sqlState { problem += " \(sqlState)" }
            problem += ": \(message)"
            return StartupDiagnosis(problem: problem, action: hint ?? "", exitStatus: .failure)
        }
    }
}

extension EmbeddedPostgresError: StartupFailure {
    /// Exit status 69 (`EX_UNAVAILABLE`); the action says how to get a database.
    public var diagnosis: StartupDiagnosis {
        StartupDiagnosis(
            problem: "cannot start the embedded PostgreSQL: \(message)",
            action: "install PostgreSQL's server (apt-get install postgresql), or set database.url (DATABASE_URL) to a running server",
            exitStatus: .unavailable)
    }
}
