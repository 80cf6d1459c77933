import BrigadeExecutors
import BrigadeHTTP
import NIOCore
import NIOHTTP1

/// The responder the connector calls on its event loops: hands each request to a front
/// thread, or answers `503` with `Retry-After` at once when the front pool is saturated
/// (with `X-Request-Id` and `Server-Timing`, and told to the observers, like any answer).
struct FrontDispatcher: HTTPResponder {
    let pool: ThreadPool
    let pipeline: RequestPipeline

    func respond(to request: HTTPServerRequest, writer: HTTPResponseWriter) {
        let pipeline = self.pipeline
        do {
            try pool.execute {
                // A client that left while its request waited for a front thread gets nothing:
                // don't spend a front thread on it (an overload's backlog clears at once).
                guard !request.cancellation.isCancelled else {
                    pipeline.abandonInQueue(request)
                    return
                }
                pipeline.handle(request, writer: writer)
            }
        } catch {
            // Runs on the event loop: no user code, just the canned refusal.
            pipeline.refuse(request, with: Self.saturated(error), writer: writer)
        }
    }

    static func saturated(_ error: RejectedExecutionError) -> Response {
        let detail = error.reason == .shutdown ? "the server is shutting down" : "every front thread is busy and the accept queue is full; try again shortly"
        let problem = ProblemDetails(error: .serviceUnavailable(detail: detail), request: nil)
        return problem.response()
    }
}
