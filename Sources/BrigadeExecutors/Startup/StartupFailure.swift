/// An error that explains itself to an operator when it stops a process from starting — what
/// went wrong, naming the configuration key, port or file, and what to do about it (Spring
/// Boot's failure analyzers).
///
/// Both halves of Brigade conform their start-up errors (``ConfigurationError``, a port in
/// use, a migrations folder not found, a database that does not answer), so that
/// `Application.main` can end the process with one clear line and the right exit status
/// instead of a crash report. Conform your own start-up errors the same way.
public protocol StartupFailure: Error {
    /// The explanation and the exit status.
    var diagnosis: StartupDiagnosis { get }
}

/// What stopped a process from starting, for the one line it logs before it exits.
public struct StartupDiagnosis: Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the key, port or file: `port 8080 (server.port) is already in use`.
    public var problem: String
    /// What to do about it: `stop the process listening on port 8080, or set server.port …`.
    public var action: String
    /// The process's exit status.
    public var exitStatus: ExitStatus

    /// Creates a diagnosis.
    public init(problem: String, action: String, exitStatus: ExitStatus) {
        self.problem = problem
        self.action = action
        self.exitStatus = exitStatus
    }

    /// `problem — action`, on one line (line breaks in either become spaces).
    public var description: String {
        let text = action.isEmpty ? problem : "\(problem) — \(action)"
        return Self.oneLine(text)
    }

    /// `text` with its line breaks and tabs folded into single spaces (libpq's messages have
    /// several lines).
    public static func oneLine(_ text: String) -> String {
        var result = ""
        var pendingSpace = false
        for character in text {
            if character.isNewline || character == "\t" || character == " " {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }
}

/// A process exit status, with the BSD `sysexits.h` codes a start-up failure uses.
public struct ExitStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The numeric status.
    public let rawValue: Int32

    /// Creates a status.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// 0: a clean exit (also after a signal during start-up).
    public static let success = ExitStatus(rawValue: 0)
    /// 1: a failure no more precise code describes.
    public static let failure = ExitStatus(rawValue: 1)
    /// 65 (`EX_DATAERR`): input data was wrong — a migration file that fails or was edited.
    public static let dataError = ExitStatus(rawValue: 65)
    /// 69 (`EX_UNAVAILABLE`): something the service needs is unavailable — a port in use, a
    /// database that does not answer.
    public static let unavailable = ExitStatus(rawValue: 69)
    /// 70 (`EX_SOFTWARE`): a programming error — two routes on one path, say.
    public static let software = ExitStatus(rawValue: 70)
    /// 77 (`EX_NOPERM`): the process may not do what it must — bind a port below 1024.
    public static let permissionDenied = ExitStatus(rawValue: 77)
    /// 78 (`EX_CONFIG`): a configuration value is invalid or points at nothing.
    public static let configuration = ExitStatus(rawValue: 78)

    public var description: String { String(rawValue) }
}
