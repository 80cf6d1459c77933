@testable import Bookstore
import Brigade
import BrigadeTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Runs `body` against a Bookstore built by the same `buildApplication` as `main`, on a
/// database of its own.
///
/// Database calls on a front thread fail (`database.front-tier-access fail`), so a handler
/// that forgot its `Callable` answers 500 and the test fails. The pool is small so that many
/// tests can run side by side.
/// - Parameters:
///   - options: Extra configuration, as command-line flags without the dashes
///     (`["bookstore.long-poll-timeout": "300ms"]`).
///   - mode: In-process (default) or over a real socket.
func withBookstore<R: Sendable>(
    _ options: [String: String] = [:],
    mode: TestMode = .inProcess,
    _ body: @Sendable (TestClient, BookstoreApp) async throws -> R
) async throws -> R {
    // Blocking set-up runs on a thread of its own: Swift concurrency's threads stay free
    // for the other tests running meanwhile.
    let url = try await blocking { try TestDatabase.make() }
    var settings = [
        "database.url": url,
        "database.max-size": "3",
        "database.min-idle": "1",
        "database.front-tier-access": "fail",
        "database.async-tier-access": "fail",
        "migrations.locations": TestDatabase.migrationsPath,
        "log.level": "warning",
        "front.min-spare-threads": "2",
        "back.core-threads": "2",
    ]
    settings.merge(options) { $1 }
    var arguments = ["bookstore"]
    for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
        arguments += ["--" + key.replacingOccurrences(of: ".", with: "-"), value]
    }
    let configuration = try await Configuration.load(arguments: arguments, environment: [:])
    let bookstore = try await blocking { try buildApplication(configuration: configuration) }
    defer { bookstore.shutdown() }
    return try await bookstore.application.test(mode) { client in
        try await body(client, bookstore)
    }
}

/// An RFC 9457 problem body, as the tests read it.
struct Problem: Decodable {
    struct Parameter: Decodable, Equatable {
        var name: String
        var reason: String
    }

    var status: Int
    var title: String
    var detail: String?
    var invalidParams: [Parameter]?

    enum CodingKeys: String, CodingKey {
        case status, title, detail
        case invalidParams = "invalid-params"
    }

    /// The names of the offending fields.
    var fields: [String] { (invalidParams ?? []).map(\.name) }
}

extension TestResponse {
    /// The problem+json body; records an issue when the content type is wrong.
    func problem(sourceLocation: SourceLocation = #_sourceLocation) throws -> Problem {
        #expect(header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
        return try decode(Problem.self)
    }
}

extension TestClient {
    /// `POST /authors` and the created author.
    func createAuthor(_ name: String, bio: String? = nil) async throws -> Author {
        let response = try await send(.POST, "/authors", json: AuthorInput(name: name, bio: bio))
        try #require(response.status == .created, "\(response.text)")
        return try response.decode(Author.self)
    }

    /// `POST /books` and the created book.
    func createBook(
        _ title: String, isbn: String, authorId: Int, publishedYear: Int? = nil, price: Double? = nil
    ) async throws -> Book {
        let response = try await send(
            .POST, "/books",
            json: BookInput(title: title, isbn: isbn, authorId: authorId, publishedYear: publishedYear, price: price))
        try #require(response.status == .created, "\(response.text)")
        return try response.decode(Book.self)
    }
}

/// A valid ISBN-13 (prefix 978) for `number`, check digit included.
func isbn13(_ number: Int) -> String {
    let body = "978" + String(format: "%09d", number % 1_000_000_000)
    let sum = body.enumerated().reduce(0) { sum, item in
        sum + item.element.wholeNumberValue! * (item.offset.isMultiple(of: 2) ? 1 : 3)
    }
    return body + String((10 - sum % 10) % 10)
}
