import Brigade

/// `GET /health`: whether this instance listens for book changes, and how many long polls
/// wait on it (for load balancers and operators; no database call).
final class HealthController: Controller {
    struct Health: Codable, Sendable, Equatable {
        var status: String
        var listening: Bool
        var waitingPolls: Int
    }

    private let changes: BookChangeFeed

    init(changes: BookChangeFeed) {
        self.changes = changes
    }

    func register(with routes: Routes) {
        routes.get("/health") { [changes] _ in
            let listening = changes.isListening
            return ResponseEntity(
                status: listening ? .ok : .serviceUnavailable,
                body: Health(status: listening ? "ok" : "degraded", listening: listening, waitingPolls: changes.waitingCount))
        }
    }
}
