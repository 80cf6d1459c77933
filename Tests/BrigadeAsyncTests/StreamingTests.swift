@testable import Brigade
import BrigadeExecutors
import BrigadeTesting
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Streamed responses over real sockets: framing, emitters' semantics, departure, timeouts,
/// heartbeats, backpressure, `HEAD`, HTTP/1.0, pipelining, async sequences.
@Suite struct StreamingTests {
    /// Every request's record, as the observers see it.
    final class Records: RequestObserver {
        let all = Watched<[RequestRecord]>([])
        func requestCompleted(_ record: RequestRecord) { all.update { $0.append(record) } }

        /// Waits for the record of `uri`.
        func record(of uri: String) async throws -> RequestRecord {
            let records = try await all.wait(timeout: .seconds(10), "the record of \(uri)") { $0.contains { $0.uri == uri } }
            return try #require(records.first { $0.uri == uri })
        }
    }

    private func app(_ build: @escaping @Sendable (Routes) -> Void, records: Records? = nil, configure: (inout Configuration) -> Void = { _ in }) -> Application {
        var configuration = testConfiguration()
        configure(&configuration)
        var app = Application(configuration: configuration)
        if let records { app.observers.append(records) }
        app.register(TestController(build: build))
        return app
    }

    // MARK: framing

    @Test func aStreamedBodyIsChunkedAsAnIndependentClientReadsIt() async throws {
        let app = app { routes in
            routes.get("/lines") { _ in
                let emitter = ResponseBodyEmitter(contentType: "text/plain")
                DispatchQueue.global().async {
                    for i in 1...5 { try? emitter.send(text: "line \(i)\n") }
                    emitter.complete()
                }
                return emitter
            }
        }
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))/lines"
            let raw = try await Curl.run(["--raw", "-i", url])
            #expect(raw.status == 0, "curl: \(raw.stderr)")
            #expect(raw.stdout.lowercased().contains("transfer-encoding: chunked"), "\(raw.stdout)")
            #expect(!raw.stdout.lowercased().contains("content-length"), "\(raw.stdout)")
            #expect(raw.stdout.hasSuffix("0\r\n\r\n"), "no last chunk: \(raw.stdout.debugDescription)")
            let decoded = try await Curl.run([url])
            #expect(decoded.status == 0, "curl could not read the chunked body: \(decoded.stderr)")
            #expect(decoded.stdout == (1...5).map { "line \($0)\n" }.joined())
        }
    }

    @Test func anSseEventIsEncodedLineByLine() {
        let event = ServerSentEvent(data: "first\nsecond\r\nthird", event: "price\nupdate", id: "7", retry: .milliseconds(1500), comment: "hi")
        #expect(String(buffer: event.encoded().bytes) == ":hi\nid: 7\nevent: priceupdate\nretry: 1500\ndata: first\ndata: second\ndata: third\n\n")
        #expect(String(buffer: ServerSentEvent.comment("").encoded().bytes) == ":\n\n")
    }

    // MARK: emitters

    @Test func anEmitterTakesSendsFromManyThreadsAndCompletesOnce() async throws {
        let completions = Recorder<ThreadTier>()
        let completed = Recorder<Bool>()
        let app = app { routes in
            routes.get("/many") { _ in
                let emitter = ResponseBodyEmitter(contentType: "text/plain")
                emitter.onCompletion { completions.record(ThreadTier.current) }
                DispatchQueue.global().async {
                    DispatchQueue.concurrentPerform(iterations: 8) { thread in
                        for i in 0..<50 { try? emitter.send(text: "\(thread)-\(i)\n") }
                    }
                    // Completions race: exactly one wins.
                    DispatchQueue.concurrentPerform(iterations: 8) { _ in completed.record(emitter.complete()) }
                }
                return emitter
            }
        }
        try await app.test(.live) { client in
            let response = try await client.get("/many")
            let lines = response.text.split(separator: "\n")
            #expect(lines.count == 400)
            #expect(Set(lines).count == 400)
            for thread in 0..<8 {
                // Each thread's sends arrive in its order.
                let mine = lines.filter { $0.hasPrefix("\(thread)-") }.map { Int($0.split(separator: "-")[1])! }
                #expect(mine == Array(0..<50))
            }
        }
        #expect(await eventually { completions.count == 1 })
        #expect(completions.all == [.front])
        #expect(completed.all.filter { $0 }.count == 1)
    }

    @Test func sendingAfterTheClientLeftThrowsAndTheCallbacksRunOnce() async throws {
        let errors = Recorder<String>()
        let completions = Recorder<Bool>()
        let sendFailed = Latch()
        let started = Latch()
        let records = Records()
        let app = app({ routes in
            routes.get("/ticks") { _ in
                let emitter = SseEmitter(timeout: nil)
                emitter.onError { errors.record(String(describing: type(of: $0))) }
                emitter.onCompletion { completions.record(true) }
                DispatchQueue.global().async {
                    try? emitter.send(ServerSentEvent(data: "first"))
                    started.open()
                    // Keep sending until the departure is noticed: then send throws.
                    while true {
                        do {
                            try emitter.send(ServerSentEvent(data: "tick"))
                        } catch {
                            errors.record("send: \(error)")
                            sendFailed.open()
                            return
                        }
                        Thread.sleep(forTimeInterval: 0.005)
                    }
                }
                return emitter
            }
        }, records: records)
        try await app.test(.live) { client in
            let connection = try await RawHTTPConnection.connect(port: try #require(client.port))
            try await connection.send("GET /ticks HTTP/1.1\r\nHost: test\r\n\r\n")
            try await connection.received.wait("the first event") { String(decoding: $0.bytes, as: UTF8.self).contains("data: first") }
            await connection.close()
            #expect(await sendFailed.waitAsync())
            let record = try await records.record(of: "/ticks")
            #expect(record.stream?.ending == .clientGone)
            #expect(record.status == 200)
        }
        #expect(await eventually { completions.count == 1 })
        #expect(errors.all.contains("ClientDisconnectedError"))
        #expect(errors.all.contains { $0.hasPrefix("send: the stream's client went away") || $0.hasPrefix("send: the stream has ended") })
        #expect(completions.count == 1)
    }

    @Test func anEmitterTimesOutAfterItsOnTimeoutRan() async throws {
        let calls = Recorder<String>()
        let records = Records()
        let app = app({ routes in
            routes.get("/slow") { _ in
                let emitter = SseEmitter(timeout: .milliseconds(100))
                try? emitter.send(ServerSentEvent(data: "hello"))
                emitter.onTimeout { calls.record("timeout") }
                emitter.onError { _ in calls.record("error") }
                emitter.onCompletion { calls.record("completion") }
                return emitter
            }
        }, records: records)
        try await app.test(.live) { client in
            let response = try await client.get("/slow")
            #expect(response.status == .ok)
            #expect(response.text == "data: hello\n\n")
            #expect(try await records.record(of: "/slow").stream?.ending == .timedOut)
        }
        #expect(await eventually { calls.count == 2 })
        #expect(calls.all == ["timeout", "completion"])
    }

    @Test func anErrorBeforeTheHeadIsAnOrdinaryErrorResponse() async throws {
        let app = app { routes in
            routes.get("/nothing") { _ in
                StreamingResponseBody(contentType: "text/csv") { _ in throw HTTPError(.notFound, "no such export") }
            }
            routes.get("/late") { _ in
                StreamingResponseBody(contentType: "text/csv") { writer in
                    try writer.write("a,b\n")
                    try writer.flush()
                    throw HTTPError(.internalServerError, "broke half-way")
                }
            }
        }
        try await app.test(.live) { client in
            let early = try await client.get("/nothing")
            #expect(early.status == .notFound)
            #expect(early.header("content-type") == "application/problem+json")
            // After the head, the connection is closed: curl sees a truncated body.
            let late = try await Curl.run(["-sS", "http://127.0.0.1:\(try #require(client.port))/late"])
            #expect(late.status == 18, "curl should report a transfer closed mid-body (18), got \(late.status): \(late.stderr)")
            #expect(late.stdout == "a,b\n")
        }
    }

    // MARK: HEAD, HTTP/1.0, pipelining

    @Test func headGetsTheHeadOnlyAndHttp10IsDelimitedByClose() async throws {
        let app = app { routes in
            routes.get("/feed") { _ in
                let emitter = ResponseBodyEmitter(contentType: "text/plain")
                DispatchQueue.global().async {
                    try? emitter.send(text: "one\n")
                    try? emitter.send(text: "two\n")
                    emitter.complete()
                }
                return emitter
            }
        }
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let head = try await RawHTTPConnection.connect(port: port)
            try await head.send("HEAD /feed HTTP/1.1\r\nHost: test\r\n\r\nGET /feed HTTP/1.1\r\nHost: test\r\n\r\n")
            try await head.received.wait("both answers") { String(decoding: $0.bytes, as: UTF8.self).contains("one\n\r\n4\r\ntwo\n") }
            let text = head.text
            let second = try #require(text.range(of: "HTTP/1.1 200", range: text.index(after: text.startIndex)..<text.endIndex))
            let headAnswer = String(text[..<second.lowerBound])
            #expect(headAnswer.hasSuffix("\r\n\r\n"), "the HEAD answer has a body: \(headAnswer.debugDescription)")
            #expect(!headAnswer.contains("one"))

            let old = try await RawHTTPConnection.connect(port: port)
            try await old.send("GET /feed HTTP/1.0\r\n\r\n")
            try await old.waitForClose()
            let response = try #require(old.responses.first)
            #expect(response.header("transfer-encoding") == nil)
            #expect(response.header("connection")?.lowercased() == "close")
            #expect(response.body == "one\ntwo\n")
        }
    }

    @Test func aPipelinedRequestAfterAStreamIsAnsweredAfterIt() async throws {
        let release = Latch()
        let app = app { routes in
            routes.get("/stream") { _ in
                let emitter = ResponseBodyEmitter(contentType: "text/plain")
                try? emitter.send(text: "begin\n")
                DispatchQueue.global().async {
                    _ = release.wait()
                    try? emitter.send(text: "end\n")
                    emitter.complete()
                }
                return emitter
            }
            routes.get("/after") { _ in "after" }
        }
        try await app.test(.live) { client in
            let connection = try await RawHTTPConnection.connect(port: try #require(client.port))
            try await connection.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n")
            try await connection.received.wait("the stream's first part") { String(decoding: $0.bytes, as: UTF8.self).contains("begin") }
            #expect(!connection.text.contains("after"), "the pipelined request was answered inside the stream")
            release.open()
            let responses = try await connection.responses(2)
            #expect(responses.map(\.body) == ["begin\nend\n", "after"])
            #expect(responses.first?.chunks == ["begin\n", "end\n"])
        }
    }

    // MARK: slow and stalled clients

    @Test func aHeartbeatFindsAClientThatStoppedReading() async throws {
        let records = Records()
        let sendsFailed = Latch()
        let app = app({ routes in
            routes.get("/firehose") { _ in
                let emitter = SseEmitter(timeout: nil, heartbeat: .milliseconds(100), bufferSize: 8 * 1024, whenFull: .dropOldest)
                let payload = String(repeating: "x", count: 4000)
                DispatchQueue.global().async {
                    while (try? emitter.send(ServerSentEvent(data: payload))) != nil { Thread.sleep(forTimeInterval: 0.002) }
                    sendsFailed.open()
                }
                return emitter
            }
        }, records: records)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Never reads; a small receive window, so the server's buffers fill quickly.
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                .channelOption(.autoRead, value: false)
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.writeAndFlush(ByteBuffer(string: "GET /firehose HTTP/1.1\r\nHost: t\r\n\r\n"))
            let record = try await records.record(of: "/firehose")
            #expect(record.stream?.ending == .stalled)
            #expect(await sendsFailed.waitAsync(), "sends go on failing once the stream ended")
            try? await channel.close()
        }
    }

    @Test func aClientThatStopsReadingHoldsOnlyTheBufferAndABlockedWriterFailsWhenItLeaves() async throws {
        let writerError = Recorder<String>()
        let rows = Atomic<Int>(0)
        let app = app { routes in
            routes.get("/export") { _ in
                StreamingResponseBody(timeout: nil, contentType: "text/csv") { writer in
                    do {
                        for row in 0..<1_000_000 {
                            try writer.write(String(repeating: "\(row % 10)", count: 999) + "\n")
                            rows.store(row + 1, ordering: .relaxed)
                        }
                    } catch {
                        writerError.record(String(describing: error))
                        throw error
                    }
                }
            }
        } configure: { configuration in
            configuration.streams.bufferSize = 32 * 1024
        }
        try await app.test(.live) { client in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                .channelOption(.autoRead, value: false)
                .connect(host: "127.0.0.1", port: try #require(client.port)).get()
            try await channel.writeAndFlush(ByteBuffer(string: "GET /export HTTP/1.1\r\nHost: t\r\n\r\n"))
            // Nobody reads: once the kernel's socket buffers, the channel's and the stream's
            // (32 KiB) are full, the writer blocks. There is no event for "it stopped", so this
            // watches its progress until it stands still for half a second.
            var last = -1, still = ContinuousClock.now
            let giveUp = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < giveUp {
                let now = rows.load(ordering: .relaxed)
                if now != last { (last, still) = (now, .now) } else if ContinuousClock.now - still > .milliseconds(500) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let written = rows.load(ordering: .relaxed) * 1000
            #expect(written < 1_000_000_000, "the writer never blocked")
            // What the writer got out is what the kernel's buffers hold (loopback autotunes the
            // sender's up to tcp_wmem's maximum) plus a few hundred KiB in the server.
            #expect(written < Self.kernelSendBufferMaximum + 1024 * 1024, "\(written) bytes out to a client that reads nothing")
            #expect(writerError.count == 0)
            try await channel.close()
            #expect(await eventually { writerError.count == 1 }, "the blocked writer was not woken when the client left")
            #expect(writerError.all.first?.contains("client went away") == true, "\(writerError.all)")
        }
    }

    /// `net.ipv4.tcp_wmem`'s maximum: how far Linux lets a socket's send buffer grow.
    static var kernelSendBufferMaximum: Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/tcp_wmem", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? 4 * 1024 * 1024
    }

    // MARK: async sequences

    @Test func anAsyncHandlersSequenceIsStreamedAndTheDepartureCancelsIt() async throws {
        let cancelled = Latch()
        let app = app { routes in
            routes.get("/count") { _ async throws in
                AsyncStream<String> { continuation in
                    for i in 1...3 { continuation.yield("\(i)\n") }
                    continuation.finish()
                }
            }
            routes.get("/forever") { _ async throws in
                AsyncStream<ServerSentEvent> { continuation in
                    let task = Task {
                        var n = 0
                        while !Task.isCancelled {
                            n += 1
                            continuation.yield(ServerSentEvent(data: "\(n)"))
                            try? await Task.sleep(for: .milliseconds(5))
                        }
                        continuation.finish()
                    }
                    continuation.onTermination = { _ in
                        task.cancel()
                        cancelled.open()
                    }
                }
            }
            routes.get("/nope") { _ async throws -> AsyncStream<String> in throw HTTPError(.forbidden, "not yours") }
        }
        try await app.test(.live) { client in
            let count = try await client.get("/count")
            #expect(count.text == "1\n2\n3\n")
            #expect(count.header("content-type") == "text/plain; charset=utf-8")
            #expect(try await client.get("/nope").status == .forbidden)

            let connection = try await RawHTTPConnection.connect(port: try #require(client.port))
            try await connection.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
            try await connection.received.wait("events") { String(decoding: $0.bytes, as: UTF8.self).contains("data: 3") }
            #expect(connection.text.contains("content-type: text/event-stream"))
            await connection.close()
            #expect(await cancelled.waitAsync(), "the consuming task was not cancelled when the client left")
        }
    }
}

/// `curl`, an independent HTTP client.
enum Curl {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String]) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-s", "--max-time", "20"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Result(
            status: status,
            stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}
