import Brigade
import BrigadePostgres

/// How database failures answer, application-wide (the web half does not know the data
/// half, so the app maps them): no free connection in time or a statement past its deadline
/// is `503` with `Retry-After`; anything else stays a logged `500`.
enum DatabaseErrors {
    static func register(on application: inout Application) {
        application.onError(PoolTimeout.self) { error, request in
            request.logger.warning("no database connection in time", metadata: ["error": "\(error)"])
            return HTTPError(.serviceUnavailable, "the database is busy; try again shortly", headers: ["retry-after": "1"])
        }
        application.onError(PostgresError.self) { error, request -> HTTPError in
            guard error.code == .timeout || error.code == .cancelled else { throw error }
            request.logger.info("database statement stopped", metadata: ["error": "\(error)"])
            return HTTPError(.serviceUnavailable, "the database did not answer in time; try again shortly", headers: ["retry-after": "1"])
        }
    }
}
