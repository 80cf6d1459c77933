@testable import Brigade
import BrigadeTesting
import Foundation
import Glibc
import Synchronization
import Testing

/// Many streams opened and abandoned: each ends (once), and nothing of them stays behind —
/// no thread, no memory, no pending request, no open stream.
///
/// Part of ``LoadTests`` (serialized, run on their own by `scripts/test.sh`): it opens
/// thousands of connections, and it reads the whole process's threads and memory, which
/// tests running beside it would disturb.
extension LoadTests {
    @Test func tenThousandStreamsOpenedAndAbandonedLeaveThreadsAndMemoryFlat() async throws {
        let batch = 500, batches = 20
        let total = batch * (batches + 1)  // the warm-up batch, then 10,000
        let completions = StreamCompletions(expected: total)
        let endings = StreamEndingCounter()
        var app = Application(configuration: testConfiguration())
        app.observers.append(endings)
        app.register(TestController { routes in
            routes.get("/stream") { _ in
                let emitter = SseEmitter(timeout: nil)
                try? emitter.send(ServerSentEvent(data: "hello"))
                let number = completions.opened()
                emitter.onCompletion { completions.completed(number) }
                return emitter
            }
        })
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let management = try #require(client.management)

            // Warm-up: the pools and malloc's arenas reach their working size.
            let warmUp = try await Self.openAndAbandon(batch, port: port)
            try await endings.total.wait(timeout: .seconds(20), "the warm-up's streams to end") { $0 == batch }
            let before = ProcessSample()
            let started = ContinuousClock.now
            var slowestBatch = Duration.zero
            for number in 1...batches {
                let took = try await Self.openAndAbandon(batch, port: port)
                slowestBatch = max(slowestBatch, took)
                let ended = batch * (number + 1)
                // Every abandoned stream ends: a leak of streams fails here.
                try await endings.total.wait(timeout: .seconds(20), "the streams of batch \(number) to end (\(ended) in all)") { $0 >= ended }
            }
            let elapsed = ContinuousClock.now - started
            let after = ProcessSample()
            print("""
                \(batches * batch) streams opened and abandoned in \(elapsed) (batches of \(batch), warm-up \(warmUp), slowest \(slowestBatch)): \
                threads \(before.threads) → \(after.threads), RSS \(before.residentKiB) KiB → \(after.residentKiB) KiB \
                (\(after.residentKiB - before.residentKiB) KiB)
                """)

            #expect(after.threads <= before.threads + 4, "threads grew from \(before.threads) to \(after.threads)")
            // Measured: +1.4 to 1.6 MiB for 10,000 streams (allocator noise). Streams kept
            // after they ended (the exchange, its closed channel and pipeline) cost ~2.4 KiB
            // each, +24 MiB; 8 MiB catches anything above ~800 bytes a stream.
            #expect(after.residentKiB - before.residentKiB < 8 * 1024, "RSS grew from \(before.residentKiB) KiB to \(after.residentKiB) KiB")

            #expect(endings.counts == [.clientGone: total], "\(endings.counts)")
            #expect(completions.summary == .init(opened: total, completed: total, twice: 0), "\(completions.summary)")
            // The server's own view: no stream open, no request pending, no connection open.
            // (`pending` drops just after the observers ran, so it is polled.)
            let settled = try await Self.eventuallyMetrics(management) { metrics in
                metrics["brigade_streams_open"] == 0 && metrics["brigade_async_requests_pending"] == 0
                    && metrics["brigade_http_connections_open"] == 0
            }
            #expect(settled.streamsOpen == 0, "\(settled.text)")
            #expect(settled.pending == 0, "\(settled.text)")
            #expect(settled.connections == 0, "\(settled.text)")
        }
    }

    /// Opens `count` connections, each `GET /stream`, waits until each got its first event,
    /// then closes them all. Returns how long it took.
    ///
    /// Plain blocking sockets on a thread of their own: a NIO client's connect throws (and
    /// catches) `EINPROGRESS`, and the test library keeps a backtrace of every error thrown
    /// in the process — half a KiB per connection that would be counted as the server's.
    static func openAndAbandon(_ count: Int, port: Int) async throws -> Duration {
        let started = ContinuousClock.now
        let failures = try await blocking { () -> [String] in
            var sockets: [Int32] = []
            var failures: [String] = []
            for _ in 0..<count {
                switch BlockingSocket.open(port: port, sending: "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n") {
                case .success(let socket): sockets.append(socket)
                case .failure(let failure): failures.append(failure.description)
                }
            }
            for socket in sockets where !BlockingSocket.read(socket, until: "data: hello\n\n") {
                failures.append("no first event on a connection")
            }
            for socket in sockets { close(socket) }
            return failures
        }
        try #require(failures.isEmpty, "\(failures.count) of \(count) streams failed to open: \(Set(failures))")
        return ContinuousClock.now - started
    }

    /// The main port's stream, request and connection gauges from the management port's
    /// `/metrics`, polled until `settled` holds (or 10 s pass).
    static func eventuallyMetrics(_ management: TestClient, _ settled: ([String: Double]) -> Bool) async throws -> ServerGauges {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let text = try await management.get("/metrics").text
            var values: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
            }
            if settled(values) || ContinuousClock.now > deadline {
                return ServerGauges(
                    streamsOpen: values["brigade_streams_open"], pending: values["brigade_async_requests_pending"],
                    connections: values["brigade_http_connections_open"], text: text)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct ServerGauges {
        let streamsOpen: Double?
        let pending: Double?
        let connections: Double?
        let text: String
    }
}

/// A TCP client on plain blocking sockets: no event loop, no thrown errors, next to no
/// allocations.
enum BlockingSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A socket connected to 127.0.0.1:`port` that sent `request`; reads time out after 10 s.
    static func open(port: Int, sending request: String) -> Result<Int32, Failure> {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return .failure(Failure(description: "socket: errno \(errno)")) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        guard connected == 0, write(socket, bytes, bytes.count) == bytes.count else {
            let failure = Failure(description: "connect or write: errno \(errno)")
            close(socket)
            return .failure(failure)
        }
        return .success(socket)
    }

    /// Reads until `marker` arrived; `false` on end of stream, error or timeout first.
    static func read(_ socket: Int32, until marker: String) -> Bool {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(socket, &buffer, buffer.count)
            guard count > 0 else { return false }
            received += buffer[0..<count]
            if String(decoding: received, as: UTF8.self).contains(marker) { return true }
        }
    }
}

/// Counts `onCompletion` calls per stream: each must run exactly once.
final class StreamCompletions: Sendable {
    struct Summary: Equatable {
        var opened = 0
        var completed = 0
        /// Streams whose `onCompletion` ran more than once.
        var twice = 0
    }

    private struct State {
        var opened = 0
        var completed: [Bool]
        var twice = 0
    }

    private let state: Mutex<State>

    /// Room for `expected` streams, reserved now (not while memory is measured).
    init(expected: Int) { state = Mutex(State(completed: Array(repeating: false, count: expected))) }

    /// A stream opened; returns its number.
    func opened() -> Int {
        state.withLock { state in
            defer { state.opened += 1 }
            if state.opened >= state.completed.count { state.completed.append(false) }
            return state.opened
        }
    }

    func completed(_ number: Int) {
        state.withLock { state in
            if state.completed[number] { state.twice += 1 } else { state.completed[number] = true }
        }
    }

    var summary: Summary {
        state.withLock { Summary(opened: $0.opened, completed: $0.completed.count { $0 }, twice: $0.twice) }
    }
}

/// Counts streamed responses by how they ended, as the observers see them (counts only: a
/// record per request would be memory the test measures).
final class StreamEndingCounter: RequestObserver {
    private let byEnding = Mutex<[StreamEnding: Int]>([:])
    /// Streams ended so far, to await.
    let total = Watched(0)

    func requestCompleted(_ record: RequestRecord) {
        guard let ending = record.stream?.ending else { return }
        byEnding.withLock { $0[ending, default: 0] += 1 }
        total.update { $0 += 1 }
    }

    var counts: [StreamEnding: Int] { byEnding.withLock { $0 } }
}

/// The process's threads (`/proc/self/task`) and resident memory (`VmRSS`), now.
struct ProcessSample {
    let threads: Int
    let residentKiB: Int

    init() {
        threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        residentKiB = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap { Int($0) } ?? -1
    }
}
