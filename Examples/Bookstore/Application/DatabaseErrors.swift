import Brigade
import BrigadePostgres

/// How database failures answer, application-wide: a statement stopped at its deadline is
/// `503` with `Retry-After` (no free connection in time, `PoolTimeout`, already is: it is a
/// `SaturationError`); anything else stays a logged `500`.
enum DatabaseErrors {
    static func register(on application: inout Application) {
        application.onError(PostgresError.self) { error, request -> HTTPError in
            guard error.code == .timeout || error.code == .cancelled else { throw error }
            request.logger.info("database statement stopped", metadata: ["error": "\(error)"])
            return HTTPError(.serviceUnavailable, "the database did not answer in time; try again shortly", headers: ["retry-after": "1"])
        }
    }
}
