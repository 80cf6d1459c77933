import Brigade
import BrigadeExecutors
import BrigadeTesting
import NIOCore
import Synchronization
import Testing

/// Request bodies streamed to routes that opt in (`body: .stream(maxSize:)`), over real sockets.
@Suite struct RequestStreamingTests {
    /// The first error a handler's reader threw, for the test to inspect.
    final class ErrorBox: Sendable {
        private let box = Mutex<RequestBodyError?>(nil)
        func record(_ error: any Error) { if let error = error as? RequestBodyError { box.withLock { $0 = $0 ?? error } } }
        var value: RequestBodyError? { box.withLock { $0 } }
    }

    func app(_ adjust: (inout Configuration) -> Void = { _ in }, _ register: @escaping @Sendable (Routes) -> Void) -> Application {
        var configuration = testConfiguration()
        configuration.server.maxBodySize = 1024
        adjust(&configuration)
        var app = Application(configuration: configuration)
        app.register(RoutesController(register))
        return app
    }

    static func post(_ path: String, length: Int, extra: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\nContent-Length: \(length)\r\n\(extra)\r\n"
    }

    @Test func bodyLargerThanMaxBodySizeIsStreamedToAnOptedInRoute() async throws {
        let app = app { routes in
            routes.post("/upload", body: .stream(maxSize: 1 << 20)) { request in
                var total = 0
                while let chunk = try request.bodyStream.read() { total += chunk.readableBytes }
                return "got \(total) bytes"
            }
            routes.post("/buffered") { request in "got \(request.body.readableBytes)" }
        }
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(Self.post("/upload", length: 300_000) + String(repeating: "x", count: 300_000))
            try await connection.send(Self.post("/upload", length: 5) + "hello")
            let responses = try await connection.responses(2)
            #expect(responses.map(\.body) == ["got 300000 bytes", "got 5 bytes"])  // kept alive between them
            await connection.close()
            let buffered = try await RawHTTPConnection.connect(port: port)
            try await buffered.send(Self.post("/buffered", length: 300_000))
            try await buffered.waitForClose()
            try expectProblem(try #require(buffered.responses.first), .payloadTooLarge)
        }
    }

    @Test func asyncHandlerReadsTheBodyAsAnAsyncSequence() async throws {
        let app = app { routes in
            routes.put("/upload", body: .stream(maxSize: 1 << 20)) { (request: Request) async throws -> String in
                var total = 0
                for try await chunk in request.bodyStream { total += chunk.readableBytes }
                return "async got \(total)"
            }
        }
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(
                "PUT /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 200000\r\n\r\n" + String(repeating: "y", count: 200_000))
            #expect(try await connection.responses(1).first?.body == "async got 200000")
            await connection.close()
        }
    }

    @Test func slowReaderMakesTheConnectorStopReadingAndHoldsAboutOneWindow() async throws {
        let size = 16 << 20
        let app = app { routes in
            routes.post("/slow", body: .stream(maxSize: 64 << 20)) { request in
                let stream = request.bodyStream
                // Read nothing until the connector says its buffer is full and it stopped
                // reading the socket (a signal, not a sleep).
                let paused = stream.waitForPause(untilUptimeNanoseconds: monotonicNanoseconds() + 10_000_000_000)
                let atPause = stream.statistics
                var total = 0
                while let chunk = try stream.read() { total += chunk.readableBytes }
                let end = stream.statistics
                return "\(paused) \(atPause.received) \(end.peakBuffered) \(end.pauses) \(total)"
            }
        }
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(bytes: Array((Self.post("/slow", length: size)).utf8) + [UInt8](repeating: 0x78, count: size))
            let fields = try #require(try await connection.responses(1).first).body.split(separator: " ")
            #expect(fields.count == 5)
            guard fields.count == 5 else { return }
            #expect(fields[0] == "true")
            let receivedAtPause = try #require(Int(fields[1]))
            let peak = try #require(Int(fields[2]))
            // The 128 KiB window plus one socket read (measured: 193,408 bytes); bounded here by
            // what the first wake-up may read before one-read-per-wake-up applies.
            #expect(receivedAtPause < 2 << 20, "the connector kept reading: \(receivedAtPause) bytes of \(size)")
            #expect(peak <= 1 << 20, "peak buffered \(peak)")
            #expect(Int(fields[4]) == size)
            await connection.close()
        }
    }

    @Test func bodyPastTheRoutesLimitIs413AndTheReaderThrows() async throws {
        let errors = ErrorBox()
        let app = app { routes in
            routes.post("/small", body: .stream(maxSize: 10_000)) { request in
                do {
                    _ = try request.bodyStream.readAll(upTo: .max)
                } catch {
                    errors.record(error)
                    throw error
                }
                return "read it all"
            }
        }
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            let chunk = String(repeating: "z", count: 4000)
            let chunks = String(repeating: "fa0\r\n\(chunk)\r\n", count: 8)  // 32,000 bytes, no declared length
            try await connection.send("POST /small HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
            try await connection.waitForClose()
            try expectProblem(try #require(connection.responses.first), .payloadTooLarge, detailContains: "10000")
            #expect(errors.value?.isTooLarge == true)

            // A declared length past the limit is refused before the handler runs.
            let declared = try await RawHTTPConnection.connect(port: port)
            try await declared.send(Self.post("/small", length: 20_000))
            try await declared.waitForClose()
            try expectProblem(try #require(declared.responses.first), .payloadTooLarge)
        }
    }

    @Test func expectContinueIsNotSentToARequestRefusedBeforeReading() async throws {
        let app = app { routes in
            routes.post("/guarded", body: .stream(maxSize: 1 << 20)) { request -> String in
                guard request.header("authorization") != nil else { throw HTTPError(.unauthorized, "log in first") }
                return try "\(request.bodyStream.readAll(upTo: 1 << 20).readableBytes)"
            }
        }
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(Self.post("/guarded", length: 50_000, extra: "Expect: 100-continue\r\n"))
            try await connection.waitForClose()  // the body was never invited: the connection closes
            #expect(connection.responses.map(\.status) == [401])
            #expect(!connection.text.contains("100 Continue"))
            #expect(connection.responses.first?.header("connection") == "close")
        }
    }

    @Test func expectContinueIsSentWhenTheHandlerStartsReading() async throws {
        let app = app { routes in
            routes.post("/guarded", body: .stream(maxSize: 1 << 20)) { request -> String in
                try "read \(request.bodyStream.readAll(upTo: 1 << 20).readableBytes)"
            }
        }
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(Self.post("/guarded", length: 50_000, extra: "Expect: 100-continue\r\n"))
            let interim = try await connection.responses(1)
            #expect(interim.map(\.status) == [100])
            try await connection.send(String(repeating: "b", count: 50_000))
            let responses = try await connection.responses(2)
            #expect(responses.map(\.status) == [100, 200])
            #expect(responses.last?.body == "read 50000")
            await connection.close()
        }
    }

    @Test func aHandlerThatLeavesTheBodyUnreadClosesTheConnection() async throws {
        let app = app { routes in
            routes.post("/ignore", body: .stream(maxSize: 1 << 20)) { request in
                _ = try request.bodyStream.read()  // one chunk, then answer
                return "enough"
            }
        }
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            // A body that looks like a request: it must never be served as one.
            let smuggled = "GET /ignore HTTP/1.1\r\nHost: test\r\n\r\n"
            try await connection.send(Self.post("/ignore", length: 600_000) + smuggled + String(repeating: "q", count: 600_000 - smuggled.utf8.count))
            try await connection.waitForClose()
            #expect(connection.responses.map(\.body) == ["enough"])
            #expect(connection.responses.first?.header("connection") == "close")
        }
    }

    // MARK: multipart/form-data

    static func multipart(boundary: String, parts: [(name: String, filename: String?, body: String)]) -> String {
        var body = "preamble\r\n"
        for part in parts {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { body += "; filename=\"\(filename)\"\r\nContent-Type: text/plain" }
            body += "\r\n\r\n\(part.body)\r\n"
        }
        return body + "--\(boundary)--\r\n"
    }

    static func postForm(_ path: String, boundary: String, body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data; boundary=\(boundary)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    func formApp() -> Application {
        app { routes in
            routes.post("/form", body: .stream(maxSize: 16 << 20)) { request in
                let form = try MultipartFormReader(request, limits: .init(maxParts: 5, maxFieldSize: 100))
                var summary: [String] = []
                while let part = try form.nextPart() {
                    if let filename = part.filename {
                        var size = 0
                        while let chunk = try part.read() { size += chunk.readableBytes }
                        summary.append("\(part.name ?? "?"):\(filename):\(size)")
                    } else {
                        summary.append("\(part.name ?? "?")=\(try part.text())")
                    }
                }
                return summary.joined(separator: ";")
            }
            routes.post("/form-async", body: .stream(maxSize: 16 << 20)) { (request: Request) async throws -> String in
                let form = try MultipartFormReader(request)
                var summary: [String] = []
                while let part = try await form.nextPart() {
                    summary.append("\(part.name ?? "?")=\(try await part.text().utf8.count)")
                }
                return summary.joined(separator: ";")
            }
        }
    }

    @Test func multipartFormWithSeveralFilesAndFieldsIsReadPartByPart() async throws {
        try await withLiveServer(formApp()) { _, port in
            let boundary = "----brigade-7MA4YWxkTrZu0gW"
            let big = String(repeating: "0123456789abcdef", count: 20_000)  // 320,000 bytes
            let body = Self.multipart(boundary: boundary, parts: [
                ("title", nil, "Holiday"), ("first", "a.txt", big), ("note", nil, "two words"), ("second", "b.txt", "tiny\r\n-- not a boundary"),
            ])
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(Self.postForm("/form", boundary: boundary, body: body))
            try await connection.send(Self.postForm("/form-async", boundary: boundary, body: body))
            let responses = try await connection.responses(2)
            #expect(responses.first?.body == "title=Holiday;first:a.txt:320000;note=two words;second:b.txt:23")
            #expect(responses.last?.body == "title=7;first=320000;note=9;second=23")
            await connection.close()
        }
    }

    @Test func multipartWithAWrongOrMissingBoundaryIs400() async throws {
        try await withLiveServer(formApp()) { _, port in
            let body = Self.multipart(boundary: "the-real-one", parts: [("title", nil, "x")])
            let wrong = try await RawHTTPConnection.connect(port: port)
            try await wrong.send(Self.postForm("/form", boundary: "another-one", body: body))
            try expectProblem(try #require(try await wrong.responses(1).first), .badRequest, detailContains: "boundary")
            await wrong.close()

            let missing = try await RawHTTPConnection.connect(port: port)
            try await missing.send(
                "POST /form HTTP/1.1\r\nHost: test\r\nContent-Type: multipart/form-data\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
            try expectProblem(try #require(try await missing.responses(1).first), .badRequest, detailContains: "boundary")
            await missing.close()
        }
    }

    @Test func multipartPastItsLimitsIs413() async throws {
        try await withLiveServer(formApp()) { _, port in
            let boundary = "b0undary"
            let many = Self.multipart(boundary: boundary, parts: (1...8).map { ("f\($0)", nil, "v") })
            let tooMany = try await RawHTTPConnection.connect(port: port)
            try await tooMany.send(Self.postForm("/form", boundary: boundary, body: many))
            try expectProblem(try #require(try await tooMany.responses(1).first), .payloadTooLarge, detailContains: "more than 5 parts")
            await tooMany.close()

            let longField = Self.multipart(boundary: boundary, parts: [("essay", nil, String(repeating: "w", count: 500))])
            let tooLong = try await RawHTTPConnection.connect(port: port)
            try await tooLong.send(Self.postForm("/form", boundary: boundary, body: longField))
            try expectProblem(try #require(try await tooLong.responses(1).first), .payloadTooLarge, detailContains: "essay")
            await tooLong.close()
        }
    }
}

/// A client that stops in the middle of a streamed body: timed out, its handler's reader
/// throws. (Run with the timing suites: its clock must not be starved.)
@Suite struct StreamedBodyTimeoutTests {
    @Test func aClientStallingMidBodyIsTimedOutAndTheReaderThrows() async throws {
        let errors = RequestStreamingTests.ErrorBox()
        var configuration = testConfiguration()
        configuration.server.bodyTimeout = .milliseconds(300)
        configuration.server.minBodyRate = 0
        var app = Application(configuration: configuration)
        app.register(RoutesController { routes in
            routes.post("/upload", body: .stream(maxSize: 1 << 20)) { request in
                do {
                    while try request.bodyStream.read() != nil {}
                } catch {
                    errors.record(error)
                    throw error
                }
                return "complete"
            }
        })
        try await withLiveServer(app) { _, port in
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(RequestStreamingTests.post("/upload", length: 100_000) + String(repeating: "s", count: 1000))
            try await connection.waitForClose()
            try expectProblem(try #require(connection.responses.first), .requestTimeout, detailContains: "no bytes")
            #expect(errors.value?.isTimeout == true)
        }
    }
}
