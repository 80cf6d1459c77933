import Brigade
import BrigadePostgres

/// `GET /health`: whether this instance listens for book changes, and how many long polls
/// wait on it (for load balancers and operators; no database call).
final class HealthController: Controller {
    struct Health: Codable, Sendable, Equatable {
        var status: String
        var listening: Bool
        var waitingPolls: Int
    }

    private let changes: BookChanges
    private let listener: PostgresListener

    init(changes: BookChanges, listener: PostgresListener) {
        self.changes = changes
        self.listener = listener
    }

    func register(with routes: Routes) {
        routes.get("/health") { [changes, listener] _ in
            let listening = listener.isListening
            return ResponseEntity(
                status: listening ? .ok : .serviceUnavailable,
                body: Health(status: listening ? "ok" : "degraded", listening: listening, waitingPolls: changes.waiters.count))
        }
    }
}
