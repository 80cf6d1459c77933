import Brigade
import BrigadeTesting
import Foundation
import Testing

/// Checks an RFC 9457 answer: the status, `application/problem+json`, and a JSON body with
/// `status`, `title` and `detail`; returns the body's main members.
@discardableResult
func expectProblem(
    _ response: TestResponse, _ status: HTTPResponseStatus, detailContains fragment: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> Problem {
    #expect(response.status == status, "body: \(response.text)", sourceLocation: sourceLocation)
    return try expectProblemBody(
        contentType: response.header("content-type"), body: response.text, status: status,
        detailContains: fragment, sourceLocation: sourceLocation)
}

/// The same checks on a response read from a raw socket.
@discardableResult
func expectProblem(
    _ response: RawResponse, _ status: HTTPResponseStatus, detailContains fragment: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> Problem {
    #expect(response.status == Int(status.code), "response: \(response)", sourceLocation: sourceLocation)
    return try expectProblemBody(
        contentType: response.header("content-type"), body: response.body, status: status,
        detailContains: fragment, sourceLocation: sourceLocation)
}

private func expectProblemBody(
    contentType: String?, body: String, status: HTTPResponseStatus, detailContains fragment: String?,
    sourceLocation: SourceLocation
) throws -> Problem {
    #expect(contentType == "application/problem+json", sourceLocation: sourceLocation)
    let json = try #require(
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
        "not a JSON object: \(body)", sourceLocation: sourceLocation)
    #expect(json["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
    #expect((json["title"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    let detail = json["detail"] as? String
    #expect(detail != nil, "no detail in \(body)", sourceLocation: sourceLocation)
    if let fragment {
        #expect(detail?.contains(fragment) == true, "detail '\(detail ?? "")' should mention '\(fragment)'", sourceLocation: sourceLocation)
    }
    let invalid = (json["invalid-params"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    return Problem(status: json["status"] as? Int, title: json["title"] as? String, detail: detail, invalidParameterNames: invalid)
}

/// The members of a problem+json body that tests look at.
struct Problem: Sendable {
    var status: Int?
    var title: String?
    var detail: String?
    var invalidParameterNames: [String]
}

/// A configuration for tests: small pools so many test servers fit on two cores.
func testConfiguration(maxThreads: Int = 4, minSpareThreads: Int = 1, acceptQueue: Int = 16) -> Configuration {
    var configuration = Configuration()
    // Small back executors: a hundred tests run at once, each with its own application.
    configuration.back = .init(coreThreads: 0, maxThreads: 4, queueCapacity: 100)
    configuration.server.host = "127.0.0.1"
    configuration.server.port = 0
    configuration.server.eventLoops = 1
    configuration.front.maxThreads = maxThreads
    configuration.front.minSpareThreads = minSpareThreads
    configuration.front.acceptQueue = acceptQueue
    return configuration
}

/// Makes, starts and (after `body`) shuts down a live server, for tests that need the server
/// itself (its port, its connection count) rather than a client.
func withLiveServer<R: Sendable>(_ app: Application, _ body: (BrigadeServer, Int) async throws -> R) async throws -> R {
    var app = app
    app.configuration.server.host = "127.0.0.1"
    app.configuration.server.port = 0
    let server = try app.makeServer()
    try await server.start()
    do {
        let port = try #require(server.port)
        let result = try await body(server, port)
        try await server.shutdown(grace: .seconds(5))
        return result
    } catch {
        try? await server.shutdown(grace: .seconds(5))
        throw error
    }
}

/// A controller made of a closure, for tests that need a route or two.
struct RoutesController: Controller {
    let build: @Sendable (Routes) -> Void
    init(_ build: @escaping @Sendable (Routes) -> Void) { self.build = build }
    func register(with routes: Routes) { build(routes) }
}
