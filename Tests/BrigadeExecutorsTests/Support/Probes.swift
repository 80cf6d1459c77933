#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A thread-safe counter.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    /// Adds one and returns the new value.
    @discardableResult
    func increment() -> Int { atomic.add(1, ordering: .relaxed).newValue }
    var value: Int { atomic.load(ordering: .relaxed) }
}

/// A thread-safe list of values recorded by tasks, in the order they arrived.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func record(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// How many times each of `count` tasks ran, to prove each ran exactly once.
final class RunTally: Sendable {
    private let counts: Mutex<[UInt8]>
    init(count: Int) { counts = Mutex([UInt8](repeating: 0, count: count)) }
    func ran(_ index: Int) { counts.withLock { $0[index] &+= 1 } }
    /// Indices that ran other than once, as (index, times).
    var notExactlyOnce: [(index: Int, times: Int)] {
        counts.withLock { counts in
            counts.enumerated().filter { $0.element != 1 }.map { ($0.offset, Int($0.element)) }
        }
    }
    func times(_ index: Int) -> Int { counts.withLock { Int($0[index]) } }
}

/// Polls `condition` until it holds or `timeout` passes — for states that have no signal to
/// wait on (a thread exiting after its keep-alive). Never used to let time pass.
/// - Returns: Whether the condition held in time.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        usleep(500)
    }
    return condition()
}

/// Runs `body(index)` on `count` new OS threads (Brigade knows nothing of them: they are
/// `unmanaged`), released together, and waits for all of them to end.
func onUnmanagedThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    let start = Latch()
    var threads: [pthread_t] = []
    for index in 0..<count {
        let box = Unmanaged.passRetained(Box {
            start.wait()
            body(index)
        }).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        threads.append(thread)
    }
    start.open()
    for thread in threads { pthread_join(thread, nil) }
}
