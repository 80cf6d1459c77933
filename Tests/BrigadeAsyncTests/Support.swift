import Brigade
import BrigadeTesting
import Dispatch
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A one-shot gate: threads block on `wait`, tasks suspend on `waitAsync` (no thread is
/// blocked for them). Both give up after a timeout, so a bug fails the test instead of
/// hanging it.
final class Latch: Sendable {
    private final class Waiter: Sendable {
        private let continuation: Mutex<CheckedContinuation<Bool, Never>?>
        init(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation = Mutex(continuation) }
        func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }

    private let semaphore = DispatchSemaphore(value: 0)
    private let state = Mutex<(opened: Bool, waiters: [Waiter])>((false, []))

    func open() {
        let waiters = state.withLock { state -> [Waiter]? in
            guard !state.opened else { return nil }
            state.opened = true
            defer { state.waiters = [] }
            return state.waiters
        }
        guard let waiters else { return }
        for _ in 0..<1024 { semaphore.signal() }
        for waiter in waiters { waiter.resume(true) }
    }

    /// Blocks the calling thread (never a Swift concurrency thread) until opened.
    @discardableResult
    func wait(seconds: Double = 10) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }

    /// Suspends until opened, or `seconds` pass.
    func waitAsync(seconds: Double = 10) async -> Bool {
        await withCheckedContinuation { continuation in
            let waiter = Waiter(continuation)
            let alreadyOpen = state.withLock { state -> Bool in
                if state.opened { return true }
                state.waiters.append(waiter)
                return false
            }
            if alreadyOpen {
                waiter.resume(true)
                return
            }
            Task {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                waiter.resume(false)
            }
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

/// Opens a raw TCP connection and sends `request`; close the returned channel to be a client
/// that goes away while its request is pending.
func openAndSend(_ request: String, port: Int) async throws -> any Channel {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
    try await channel.writeAndFlush(ByteBuffer(string: request)).get()
    return channel
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

/// Measures, on the server's own threads, how long each request took from `preHandle` to
/// `afterCompletion`: unlike a test task's clock, it is not delayed when Swift concurrency's
/// threads are busy with other tests.
final class ServerTiming: Interceptor {
    private let started = Mutex<[String: ContinuousClock.Instant]>([:])
    let durations = Recorder<Duration>()

    func preHandle(_ request: inout Request) throws -> InterceptorDecision {
        started.withLock { $0[request.id] = .now }
        return .proceed
    }

    func afterCompletion(_ request: Request, response: Response, error: (any Error)?) {
        if let start = started.withLock({ $0.removeValue(forKey: request.id) }) {
            durations.record(ContinuousClock.now - start)
        }
    }
}
