import Brigade
import BrigadeTesting
import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A one-shot gate for blocking threads: `wait` returns `false` when the timeout passes, so
/// a bug fails the test instead of hanging it.
final class Latch: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let opened = Atomic(false)

    func open() {
        if opened.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
            for _ in 0..<1024 { semaphore.signal() }
        }
    }

    @discardableResult
    func wait(seconds: Double = 10) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }

    /// Waits without blocking the caller's executor thread.
    func waitAsync(seconds: Double = 10) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.wait(seconds: seconds)) }
        }
    }
}

/// Counts calls and remembers values from any thread.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func record(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
    var count: Int { values.withLock { $0.count } }
}

/// Polls `condition` until it holds or `seconds` pass (for effects with no signal of their own).
func eventually(seconds: Double = 5, _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// A configuration for tests: small pools, loopback.
func testConfiguration(front: Int = 4, back: Int = 4, backQueue: Int = 100, asyncTimeout: Duration = .seconds(5)) -> Configuration {
    var configuration = Configuration()
    configuration.server.host = "127.0.0.1"
    configuration.server.port = 0
    configuration.server.eventLoops = 1
    configuration.front = .init(maxThreads: front, minSpareThreads: min(2, front), acceptQueue: 1000)
    configuration.back = .init(coreThreads: 1, maxThreads: back, queueCapacity: backQueue)
    configuration.asyncTimeout = asyncTimeout
    return configuration
}

/// Opens a raw TCP connection, sends `request`, and closes it without reading: a client
/// that goes away while its request is pending.
func sendAndDisconnect(_ request: String, port: Int) async throws {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
    try await channel.writeAndFlush(ByteBuffer(string: request)).get()
    try await channel.close().get()
}

/// Something a controller returns that records which thread rendered it.
struct ThreadRecordingBody: ResponseGenerator {
    let recorder: Recorder<ThreadTier>
    func response(for request: Request) throws -> Response {
        recorder.record(ThreadTier.current)
        return .text("rendered")
    }
}

extension Routes {
    /// Registers the same controller-free closures tests need, briefly.
    func add(_ build: (Routes) -> Void) { build(self) }
}

/// A controller made of closures, for tests.
struct TestController: Controller {
    let build: @Sendable (Routes) -> Void
    func register(with routes: Routes) { build(routes) }
}
