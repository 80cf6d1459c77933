@testable import Brigade
import BrigadeTesting
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// `await emitter.send(…)` from a Swift task: while the client does not read, the sender is
/// suspended — it neither fails nor burns a thread — and once the client reads, every event
/// arrives, in order.
///
/// Part of ``LoadTests`` (serialized, run on their own by `scripts/test.sh`): it measures the
/// whole process's CPU time while the sender waits, which tests running beside it would
/// disturb.
extension LoadTests {
    @Test func anAsyncSenderSuspendsWhileItsClientDoesNotReadAndEveryEventArrivesInOrder() async throws {
        let events = 2500
        let payload = String(repeating: "x", count: 3000)
        let clientSawFirst = Latch()
        let sent = SendCounter()
        let sendErrors = Recorder<String>()
        let completions = Recorder<Bool>()
        let records = StreamingTests.Records()
        var app = Application(configuration: testConfiguration())
        app.observers.append(records)
        app.register(TestController { routes in
            routes.get("/prices") { _ in
                let emitter = SseEmitter(timeout: nil, bufferSize: 16 * 1024)
                emitter.onCompletion { completions.record(true) }
                try? emitter.send(ServerSentEvent(data: "hello", id: "0"))
                Task {
                    // Starts once the stream is open (the client saw its first event): what
                    // happens to sends before that is another test's business.
                    guard await clientSawFirst.waitAsync(seconds: 20) else { return }
                    do {
                        for i in 1...events {
                            try await emitter.send(ServerSentEvent(data: "\(i) \(payload)", id: "\(i)"))
                            sent.increment()
                        }
                        emitter.complete()
                    } catch {
                        sendErrors.record("after \(sent.value) events: \(error)")
                        emitter.completeWithError(error)
                    }
                }
                return emitter
            }
        })
        try await app.test(.live) { client in
            let received = Watched(ByteCollector.Received())
            // Reads only when asked (`read()`), through a small receive window.
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                .channelOption(.autoRead, value: false)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ByteCollector(received)) }
                }
                .connect(host: "127.0.0.1", port: try #require(client.port)).get()
            try await channel.writeAndFlush(ByteBuffer(string: "GET /prices HTTP/1.1\r\nHost: t\r\n\r\n"))
            while !String(decoding: received.value.bytes, as: UTF8.self).contains("data: hello\n\n") {
                let count = received.value.bytes.count
                channel.read()
                try await received.wait(timeout: .seconds(10), "the first event") { $0.bytes.count > count || $0.closed }
                try #require(!received.value.closed, "the connection closed before the first event")
            }
            clientSawFirst.open()

            // The client reads nothing more: once the kernel's buffers, the channel's and the
            // stream's (16 KiB) are full, the sender must wait. There is no event for "it
            // waits", so this watches its progress until it stands still for 300 ms.
            var last = -1, still = ContinuousClock.now
            let giveUp = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < giveUp {
                let now = sent.value
                if now != last { (last, still) = (now, .now) } else if ContinuousClock.now - still > .milliseconds(300) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let stalledAt = sent.value
            #expect(stalledAt < events, "the sender never had to wait: \(events) events went out to a client that reads nothing")
            #expect(sendErrors.all.isEmpty, "a send failed instead of waiting: \(sendErrors.all)")

            // Suspended, not spinning: over half a second the whole process is nearly idle.
            let window = Duration.milliseconds(500)
            let cpuBefore = ProcessCPU.used()
            try await Task.sleep(for: window)
            let cpu = ProcessCPU.used() - cpuBefore
            print("async sender stalled after \(stalledAt) of \(events) events; process CPU over \(window) while it waits: \(cpu)")
            #expect(sent.value == stalledAt, "the sender went on while nothing was read")
            #expect(cpu < window / 4, "the waiting sender used \(cpu) of CPU in \(window): it spins instead of suspending")

            // Now the client reads everything; the stream ends with the last event.
            try await channel.setOption(.autoRead, value: true).get()
            channel.read()
            let end = try await received.wait(timeout: .seconds(60), "the end of the stream") {
                $0.bytes.suffix(5).elementsEqual("0\r\n\r\n".utf8) || $0.closed
            }
            #expect(!end.closed, "the connection closed before the stream's end")
            let response = try #require(RawResponse.parse(end.bytes, closed: end.closed).first)
            let expected = ([ServerSentEvent(data: "hello", id: "0")] + (1...events).map { ServerSentEvent(data: "\($0) \(payload)", id: "\($0)") })
                .map { String(buffer: $0.encoded().bytes) }.joined()
            #expect(response.status == 200)
            #expect(response.body.count == expected.count, "\(response.body.count) bytes of \(expected.count)")
            if response.body != expected {
                let ids = response.body.matches(of: /id: (\d+)\n/).map { Int($0.1)! }
                Issue.record("the events arrived out of order or damaged; ids: \(ids.prefix(20))… (\(ids.count) events)")
            }
            #expect(sendErrors.all.isEmpty, "\(sendErrors.all)")
            #expect(try await records.record(of: "/prices").stream?.ending == .completed)
            try await channel.close()
        }
        #expect(completions.count == 1)
    }
}

/// Events sent so far, from any thread.
final class SendCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}

/// Collects every byte a connection receives, and its close.
final class ByteCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    struct Received: Sendable {
        var bytes: [UInt8] = []
        var closed = false
    }

    let received: Watched<Received>
    init(_ received: Watched<Received>) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.update { $0.bytes.append(contentsOf: buffer.readableBytesView) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.update { $0.closed = true }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The CPU time (user and system) the whole process used so far.
enum ProcessCPU {
    static func used() -> Duration {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }
}
