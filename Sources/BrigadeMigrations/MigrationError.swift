import BrigadeExecutors
import BrigadePostgres

/// Why migrating or validating failed; names the file concerned.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case badFileName, duplicateVersion, unreadableDirectory, checksumMismatch, missingFile
            case outOfOrder, sqlFailed, baselineRefused, locationNotFound
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// A `.sql` file whose name is not `V<version>__<description>.sql`.
        public static let badFileName = Code(.badFileName)
        /// Two files with the same version.
        public static let duplicateVersion = Code(.duplicateVersion)
        /// The migrations folder could not be read.
        public static let unreadableDirectory = Code(.unreadableDirectory)
        /// An applied migration's file was edited since.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// An applied migration's file is gone.
        public static let missingFile = Code(.missingFile)
        /// A pending migration is older than one already applied.
        public static let outOfOrder = Code(.outOfOrder)
        /// A migration's SQL failed (rolled back).
        public static let sqlFailed = Code(.sqlFailed)
        /// `baseline` on a database that already has history.
        public static let baselineRefused = Code(.baselineRefused)
        /// A configured migrations folder does not exist (``MigrationLocation``).
        public static let locationNotFound = Code(.locationNotFound)
        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The migration file concerned.
    public let file: String?
    /// The 1-based line in ``file`` where PostgreSQL located the error, when it did.
    public let line: Int?
    /// What went wrong.
    public let message: String
    /// The database error behind a `.sqlFailed`.
    public let underlying: PostgresError?

    init(_ code: Code, file: String? = nil, line: Int? = nil, message: String, underlying: PostgresError? = nil) {
        self.code = code
        self.file = file
        self.line = line
        self.message = message
        self.underlying = underlying
    }

    /// `V3__add_index.sql:12: syntax error at or near "INDX" (42601)`
    public var description: String {
        var where_ = file ?? "migrations"
        if let line { where_ += ":\(line)" }
        var text = "\(where_): \(message)"
        if let sqlState = underlying?.sqlState { text += " (\(sqlState))" }
        return text
    }
}

extension MigrationError: StartupFailure {
    /// Exit status 78 (`EX_CONFIG`) for a folder that cannot be found or read, 65
    /// (`EX_DATAERR`) for a migration that is wrong, edited, missing or fails.
    public var diagnosis: StartupDiagnosis {
        let problem = "migrations: \(description)"
        switch code {
        case .locationNotFound:
            return StartupDiagnosis(
                problem: problem,
                action: "run from the folder that holds it, or set migrations.locations (MIGRATIONS_LOCATIONS, --migrations-locations) to its path",
                exitStatus: .configuration)
        case .unreadableDirectory:
            return StartupDiagnosis(problem: problem, action: "check the folder's and the files' permissions", exitStatus: .configuration)
        case .checksumMismatch:
            return StartupDiagnosis(
                problem: problem,
                action: "restore the applied file as it was: an applied migration must never change; put the change in a new migration",
                exitStatus: .dataError)
        case .missingFile:
            return StartupDiagnosis(problem: problem, action: "restore the applied migration's file", exitStatus: .dataError)
        case .sqlFailed:
            return StartupDiagnosis(problem: problem, action: "correct the migration (it was rolled back; nothing of it was applied)", exitStatus: .dataError)
        case .badFileName, .duplicateVersion:
            return StartupDiagnosis(problem: problem, action: "name each file V<version>__<description>.sql with a version of its own", exitStatus: .dataError)
        default:
            return StartupDiagnosis(problem: problem, action: "correct the migrations", exitStatus: .dataError)
        }
    }
}
