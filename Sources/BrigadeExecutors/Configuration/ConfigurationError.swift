/// An invalid configuration value, with a message naming it.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong, naming the key and the value.
    public let message: String
    /// The key concerned (`front.max-threads`), when known: given to ``init(key:_:)``, or the
    /// key the message starts with.
    public let key: String?

    /// Creates an error with its message; a message that starts with a key
    /// (`front.max-threads must be at least 1, got 0`) names it as ``key``.
    public init(_ message: String) {
        self.message = message
        self.key = Self.leadingKey(of: message)
    }

    /// Creates an error about `key`.
    public init(key: String, _ message: String) {
        self.message = message
        self.key = key
    }

    public var description: String { message }

    /// `front.max-threads` in `front.max-threads must be …`: a first word of lowercase letters,
    /// digits, dots and dashes, with at least one dot (or the single-word key `instances`),
    /// followed by a space or a colon.
    static func leadingKey(of message: String) -> String? {
        let word = message.prefix { $0 != " " && $0 != ":" }
        guard !word.isEmpty, word.count < message.count,
              word.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "." || $0 == "-" }),
              word.first?.isLetter == true, word.last != ".", word.contains(".") || word == "instances"
        else { return nil }
        return String(word)
    }
}

extension ConfigurationError: StartupFailure {
    /// Exit status 78 (`EX_CONFIG`); the action names the key's environment-variable and
    /// argument forms.
    public var diagnosis: StartupDiagnosis {
        let action = key.map {
            "set \($0) (environment variable \(ConfigKeys.environmentName(of: $0)), argument \(ConfigKeys.argumentName(of: $0))) "
                + "to a valid value, or leave it unset for its default"
        }
        return StartupDiagnosis(
            problem: "invalid configuration: \(message)", action: action ?? "correct the configuration",
            exitStatus: .configuration)
    }
}
