/// Runs short tasks at a given time, on one dedicated thread (Java's
/// `ScheduledExecutorService`, Spring's `TaskScheduler`).
///
/// For timeouts and for completing a `DeferredResult` later without holding a thread while
/// waiting:
/// ```swift
/// Scheduler.shared.schedule(after: .milliseconds(100)) { result.setResult(report) }
/// ```
/// Tasks run one after another on the scheduler's thread (tier `back:scheduler`) with the
/// ``WorkContext`` current when they were scheduled: keep them short, and hand anything slow
/// to a pool. Scheduling and cancelling are O(log n) and never block; the thread is woken
/// only when a new task becomes the earliest.
public final class Scheduler: @unchecked Sendable {
    // @unchecked Sendable: `heap`, `nextID` and `started` are only touched with `lock` held;
    // the entries' `index` likewise.

    /// A scheduled task, to cancel it before it runs.
    public struct ScheduledTask: Sendable {
        fileprivate let entry: Entry
        fileprivate let scheduler: Scheduler

        /// Cancels the task if it has not run yet.
        /// - Returns: `true` if it was still waiting and will never run.
        @discardableResult
        public func cancel() -> Bool { scheduler.cancel(entry) }
    }

    fileprivate final class Entry: @unchecked Sendable {
        // @unchecked Sendable: `index` is only touched with the scheduler's lock held; the
        // other fields are immutable.
        let deadline: UInt64
        let sequence: UInt64
        let body: @Sendable () -> Void
        let context: WorkContext?
        var index = -1

        init(deadline: UInt64, sequence: UInt64, body: @escaping @Sendable () -> Void, context: WorkContext?) {
            self.deadline = deadline
            self.sequence = sequence
            self.body = body
            self.context = context
        }

        func runs(before other: Entry) -> Bool {
            (deadline, sequence) < (other.deadline, other.sequence)
        }
    }

    /// The process-wide scheduler, started on first use.
    public static let shared = Scheduler(name: "scheduler")

    private let lock = PThreadLock()
    private let wake: PThreadLock.Condition
    private var heap = TimerHeap()
    private var nextID: UInt64 = 0
    private var started = false
    /// The name of the scheduler's thread (and of its tier, `back:<name>`).
    public let name: String

    /// Creates a scheduler; its thread starts with the first task.
    public init(name: String) {
        self.name = name
        self.wake = PThreadLock.Condition(lock)
    }

    /// Runs `body` once `delay` has passed.
    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping @Sendable () -> Void) -> ScheduledTask {
        schedule(atUptimeNanoseconds: monotonicNanoseconds().addingSaturating(delay.clampedNanoseconds), body)
    }

    /// Runs `body` at `deadline` (at once if it passed).
    @discardableResult
    public func schedule(at deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () -> Void) -> ScheduledTask {
        schedule(after: ContinuousClock.now.duration(to: deadline), body)
    }

    /// Tasks waiting to run.
    public var pending: Int { lock.withLock { heap.count } }

    private func schedule(atUptimeNanoseconds deadline: UInt64, _ body: @escaping @Sendable () -> Void) -> ScheduledTask {
        let context = WorkContext.current
        let (entry, becameFirst, start): (Entry, Bool, Bool) = lock.withLock {
            nextID &+= 1
            let entry = Entry(deadline: deadline, sequence: nextID, body: body, context: context)
            heap.insert(entry)
            let start = !started
            started = true
            return (entry, heap.first === entry, start)
        }
        if start {
            let identity = ThreadIdentity(tier: .back(name), name: name)
            ThreadPool.detachThread { [self] in
                ThreadIdentity.set(identity)
                run()
            }
        } else if becameFirst {
            wake.signal()
        }
        return ScheduledTask(entry: entry, scheduler: self)
    }

    private func cancel(_ entry: Entry) -> Bool {
        lock.withLock { heap.remove(entry) }
    }

    private func run() {
        var due: [Entry] = []
        while true {
            lock.lock()
            while true {
                let now = monotonicNanoseconds()
                while let first = heap.first, first.deadline <= now {
                    due.append(heap.removeFirst())
                }
                if !due.isEmpty { break }
                if let first = heap.first {
                    _ = wake.wait(untilUptimeNanoseconds: first.deadline)
                } else {
                    wake.wait()
                }
            }
            lock.unlock()
            for entry in due {
                if let context = entry.context {
                    WorkContext.$current.withValue(context) { entry.body() }
                } else {
                    entry.body()
                }
            }
            due.removeAll(keepingCapacity: true)
        }
    }

    /// A binary min-heap of entries that know their index, so cancelling is O(log n).
    private struct TimerHeap {
        private var storage: [Entry] = []
        var count: Int { storage.count }
        var first: Entry? { storage.first }

        mutating func insert(_ entry: Entry) {
            entry.index = storage.count
            storage.append(entry)
            siftUp(entry.index)
        }

        mutating func removeFirst() -> Entry {
            let first = storage[0]
            _ = remove(first)
            return first
        }

        /// Removes `entry`; `false` if it is not in the heap (ran or was cancelled).
        mutating func remove(_ entry: Entry) -> Bool {
            let index = entry.index
            guard index >= 0, index < storage.count, storage[index] === entry else { return false }
            let last = storage.count - 1
            if index != last {
                storage.swapAt(index, last)
                storage[index].index = index
            }
            storage.removeLast()
            entry.index = -1
            if index < storage.count {
                siftDown(index)
                siftUp(index)
            }
            return true
        }

        private mutating func siftUp(_ start: Int) {
            var child = start
            while child > 0 {
                let parent = (child - 1) / 2
                guard storage[child].runs(before: storage[parent]) else { return }
                swap(child, parent)
                child = parent
            }
        }

        private mutating func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < storage.count, storage[left].runs(before: storage[smallest]) { smallest = left }
                if right < storage.count, storage[right].runs(before: storage[smallest]) { smallest = right }
                if smallest == parent { return }
                swap(parent, smallest)
                parent = smallest
            }
        }

        private mutating func swap(_ a: Int, _ b: Int) {
            storage.swapAt(a, b)
            storage[a].index = a
            storage[b].index = b
        }
    }
}
