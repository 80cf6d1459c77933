@testable import Bookstore
import Brigade
import BrigadeTesting
import NIOCore
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("Cover images as multipart/form-data", .timeLimit(.minutes(2)))
    struct CoverTests {
        static let boundary = "----brigade-cover-test"

        /// A form with `fields` (name, content type, bytes), each with a filename.
        static func form(_ fields: [(name: String, type: String, bytes: [UInt8])]) -> ByteBuffer {
            var body = ByteBuffer()
            for field in fields {
                body.writeString("--\(boundary)\r\n")
                body.writeString("Content-Disposition: form-data; name=\"\(field.name)\"; filename=\"\(field.name).bin\"\r\n")
                body.writeString("Content-Type: \(field.type)\r\n\r\n")
                body.writeBytes(field.bytes)
                body.writeString("\r\n")
            }
            body.writeString("--\(boundary)--\r\n")
            return body
        }

        static func put(_ client: TestClient, _ uri: String, _ body: ByteBuffer, boundary: String = boundary) async throws -> TestResponse {
            try await LiveHTTPClient.send(
                HTTPServerRequest(
                    method: .PUT, uri: uri, headers: ["content-type": "multipart/form-data; boundary=\(boundary)"], body: body),
                port: try #require(client.port))
        }

        @Test func anUploadedCoverComesBackWithItsType() async throws {
            try await withBookstore(mode: .live) { client, _ in
                let author = try await client.createAuthor("Illustrated")
                let book = try await client.createBook("Pictures", isbn: isbn13(401), authorId: author.id)
                let image = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                let form = Self.form([("caption", "text/plain", Array("ignored".utf8)), ("cover", "image/png", image)])
                let uploaded = try await Self.put(client, "/books/\(book.id)/cover", form)
                #expect(uploaded.status == .noContent, "\(uploaded.text)")
                let cover = try await client.get("/books/\(book.id)/cover")
                #expect(cover.status == .ok)
                #expect(cover.header("content-type") == "image/png")
                #expect(Array(cover.body.readableBytesView) == image)
            }
        }

        @Test func aCoverPastItsLimitIs413AndTheWrongTypeIs415() async throws {
            try await withBookstore(mode: .live) { client, _ in
                let author = try await client.createAuthor("Heavy")
                let book = try await client.createBook("Large", isbn: isbn13(402), authorId: author.id)
                let huge = [UInt8](repeating: 7, count: CoverController.maxSize + 1)
                let tooLarge = try await Self.put(client, "/books/\(book.id)/cover", Self.form([("cover", "image/jpeg", huge)]))
                #expect(tooLarge.status == .payloadTooLarge)
                let text = try await Self.put(client, "/books/\(book.id)/cover", Self.form([("cover", "text/plain", [1, 2, 3])]))
                #expect(text.status == .unsupportedMediaType)
                #expect(try await client.get("/books/\(book.id)/cover").status == .notFound)
            }
        }

        @Test func aMalformedFormOrAMissingPartIs400AndAnUnknownBookIs404() async throws {
            try await withBookstore(mode: .live) { client, _ in
                let author = try await client.createAuthor("Broken")
                let book = try await client.createBook("Form", isbn: isbn13(403), authorId: author.id)
                let missing = try await Self.put(client, "/books/\(book.id)/cover", Self.form([("other", "image/png", [1])]))
                #expect(missing.status == .badRequest)
                let wrongBoundary = try await Self.put(
                    client, "/books/\(book.id)/cover", Self.form([("cover", "image/png", [1])]), boundary: "not-the-one")
                #expect(wrongBoundary.status == .badRequest)
                let unknown = try await Self.put(client, "/books/999999/cover", Self.form([("cover", "image/png", [1])]))
                #expect(unknown.status == .notFound)
            }
        }
    }
}
