import Synchronization

extension ConfigKeys {
    /// A key's environment-variable form, as swift-configuration reads it:
    /// `front.max-threads` → `FRONT_MAX_THREADS`.
    public static func environmentName(of key: String) -> String {
        String(key.uppercased().map { $0 == "." || $0 == "-" ? "_" : $0 })
    }

    /// A key's command-line form: `front.max-threads` → `--front-max-threads`.
    public static func argumentName(of key: String) -> String {
        "--" + String(key.map { $0 == "." ? "-" : $0 })
    }

    /// Every key this process has read through a ``ConfigKeys`` — the framework's, the
    /// database pool's, the application's own — so that a start-up check can tell a key
    /// someone uses from a misspelt one.
    public static var keysRead: Set<String> { readKeys.withLock { $0 } }

    static func noteRead(_ key: String) {
        readKeys.withLock { _ = $0.insert(key) }
    }

    private static let readKeys = Mutex<Set<String>>([])
}
