import Brigade
import Foundation
import NIOCore

/// `PUT /books/{id}/cover` (`multipart/form-data` with an image in the part `cover`) and
/// `GET /books/{id}/cover`.
final class CoverController: Controller {
    /// The largest cover accepted (bigger answers 413).
    static let maxSize = 2 << 20
    /// The image types accepted.
    static let imageTypes: Set<String> = ["image/png", "image/jpeg", "image/gif", "image/webp"]

    private let covers: CoverRepository

    init(covers: CoverRepository) {
        self.covers = covers
    }

    func register(with routes: Routes) {
        // Streamed: the form is read part by part on a back thread, the image bounded by maxSize.
        routes.put("/books/{id}/cover", body: .stream(maxSize: Self.maxSize + 64 * 1024), upload)
        routes.get("/books/{id}/cover", download)
    }

    /// → `204`; `400` for a malformed form or no `cover` part; `413` past 2 MiB; `415` for a
    /// part that is not a PNG, JPEG, GIF or WebP image; `404` for an unknown book.
    func upload(_ request: Request) throws -> Callable<Void> {
        let id = try request.path("id", as: Int.self)
        let covers = self.covers
        return Callable {
            // Made and read on the back thread: reading blocks while the upload arrives.
            let form = try MultipartFormReader(request, limits: .init(maxParts: 4, maxFieldSize: 1024, maxFileSize: Self.maxSize))
            while let part = try form.nextPart() {
                guard part.name == "cover" else {
                    while try part.read() != nil {}  // another field: skipped
                    continue
                }
                let type = (part.contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
                guard Self.imageTypes.contains(type) else {
                    throw HTTPError(.unsupportedMediaType, "the cover must be a PNG, JPEG, GIF or WebP image, not '\(type)'")
                }
                var image: [UInt8] = []
                while let chunk = try part.read() { image += chunk.readableBytesView }
                try covers.save(id, contentType: type, image: image)
                return
            }
            throw HTTPError(.badRequest, "the form has no part named 'cover'", invalidParameters: [.init(name: "cover", reason: "missing")])
        }
    }

    /// → the image with its content type; `404` when the book has no cover.
    func download(_ request: Request) throws -> Callable<Response> {
        let id = try request.path("id", as: Int.self)
        let covers = self.covers
        return Callable {
            let cover = try covers.find(id)
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: cover.contentType)
            headers.add(name: "cache-control", value: "no-cache")
            return Response(status: .ok, headers: headers, body: ByteBuffer(bytes: cover.image))
        }
    }
}
