import Brigade
import BrigadeTesting
import Testing

// The README's "Streaming request bodies" controller, verbatim.
struct UploadController: Controller {
    func register(with routes: Routes) {
        // Blocking reads, on the front thread (or a back thread in a Callable).
        routes.post("/uploads", body: .stream(maxSize: 1 << 30)) { request in
            var size = 0
            while let chunk = try request.bodyStream.read() { size += chunk.readableBytes }
            return "stored \(size) bytes"
        }
        // `async` handlers iterate the same stream.
        routes.put("/uploads", body: .stream(maxSize: 1 << 30)) { (request: Request) async throws -> String in
            var size = 0
            for try await chunk in request.bodyStream { size += chunk.readableBytes }
            return "stored \(size) bytes"
        }
        // multipart/form-data, part by part: fields as strings, files as streams.
        routes.post("/forms", body: .stream(maxSize: 1 << 30)) { request in
            let form = try MultipartFormReader(request, limits: .init(maxParts: 20, maxFieldSize: 4096))
            var fields: [String: String] = [:]
            var files: [String: Int] = [:]
            while let part = try form.nextPart() {
                if let filename = part.filename {
                    var size = 0
                    while let chunk = try part.read() { size += chunk.readableBytes }
                    files[filename] = size
                } else {
                    fields[part.name ?? ""] = try part.text()
                }
            }
            return "fields \(fields.sorted { $0.key < $1.key }), files \(files.sorted { $0.key < $1.key })"
        }
    }
}

@Suite struct ReadmeRequestStreamingTests {
    @Test func theReadmesUploadControllerAnswersAsDescribed() async throws {
        var app = Application(configuration: testConfiguration())
        app.register(UploadController())
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let size = 3 << 20  // past server.max-body-size
            try await connection.send(RequestStreamingTests.post("/uploads", length: size) + String(repeating: "u", count: size))
            try await connection.send(
                "PUT /uploads HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n0123456789")
            let form = RequestStreamingTests.multipart(boundary: "xyz", parts: [("a", nil, "1"), ("doc", "d.txt", "hello")])
            try await connection.send(RequestStreamingTests.postForm("/forms", boundary: "xyz", body: form))
            let responses = try await connection.responses(3)
            #expect(responses.map(\.body) == [
                "stored \(size) bytes", "stored 10 bytes", #"fields [(key: "a", value: "1")], files [(key: "d.txt", value: 5)]"#,
            ])
            await connection.close()
        }
    }
}
