@testable import Bookstore
import Brigade
import BrigadeTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("Two Bookstore processes on one database")
    struct CrossInstanceTests {
        @Test func aPostToOneInstanceCompletesALongPollWaitingOnTheOther() async throws {
            let url = try TestDatabase.make()
            let first = try BookstoreProcess(databaseURL: url)
            defer { first.stop() }
            let second = try BookstoreProcess(databaseURL: url)
            defer { second.stop() }
            #expect(first.pid != second.pid)
            let firstPort = try await first.ready()
            let secondPort = try await second.ready()
            #expect(firstPort != secondPort)

            let author = try await Self.post("/authors", AuthorInput(name: "Across"), port: secondPort).decode(Author.self)
            async let poll = LiveHTTPClient.send(HTTPServerRequest(method: .GET, uri: "/books/changes?after=0"), port: firstPort)
            // The first instance logs this once its poll found no newer book: from then on only
            // a notification from PostgreSQL can complete it.
            _ = try await first.line(containing: "long poll armed")
            let created = try await Self.post("/books", BookInput(title: "Crossing", isbn: isbn13(42), authorId: author.id), port: secondPort)
            #expect(created.status == .created)
            let book = try created.decode(Book.self)

            let response = try await poll
            #expect(response.status == .ok)
            #expect(try response.decode([Book].self) == [book])
            #expect(!second.log.contains("long poll armed"))
        }

        private static func post<T: Encodable>(_ uri: String, _ value: T, port: Int) async throws -> TestResponse {
            let body = ByteBuffer(bytes: try JSONEncoder().encode(value))
            return try await LiveHTTPClient.send(
                HTTPServerRequest(method: .POST, uri: uri, headers: ["content-type": "application/json"], body: body), port: port)
        }
    }
}
