/// How a ``ThreadPool`` decides how many of its threads work at once.
public enum PoolSizing: Sendable, Hashable, CustomStringConvertible {
    /// Threads grow to ``ThreadPool/Configuration/maxThreads`` before anything queues: every
    /// task gets a thread at once. For work that blocks — a back executor's `Callable`s, which
    /// wait on the database or another service.
    case eager
    /// About `parallelism` threads run at once — one per CPU — and work beyond them queues, so
    /// short tasks are not spread over dozens of threads that fight over the cores. A thread
    /// that is *blocked* (off the CPU, and not waiting for it: sleeping, waiting on a lock, a
    /// socket, the disk) does not count: while work waits, another thread takes its place, up to
    /// ``ThreadPool/Configuration/maxThreads``. A pool whose threads are busy on the CPU does
    /// not grow. Go's scheduler and .NET's thread pool work this way; the front pool's default.
    case adaptive(parallelism: Int)

    /// ``adaptive(parallelism:)`` with one running thread per CPU this process may use.
    public static var adaptive: PoolSizing { .adaptive(parallelism: CPUSet.available) }

    /// `eager`, or `adaptive(<parallelism>)`.
    public var description: String {
        switch self {
        case .eager: "eager"
        case .adaptive(let parallelism): "adaptive(\(parallelism))"
        }
    }
}
