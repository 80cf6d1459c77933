import BrigadeExecutors

/// A pool for one test, with small sizes and a long keep-alive unless the test says otherwise.
func makePool(
    _ name: String = "test",
    tier: ThreadTier = .back("test"),
    core: Int = 0,
    max: Int = 2,
    queue: Int = 10,
    keepAlive: Duration = .seconds(60),
    policy: RejectionPolicy = .abort
) throws -> ThreadPool {
    try ThreadPool(configuration: .init(
        name: name, tier: tier, coreThreads: core, maxThreads: max, queueCapacity: queue,
        keepAlive: keepAlive, rejectionPolicy: policy))
}

extension ThreadPool {
    /// Submits a task that reports it started and then blocks until `gate` opens.
    @discardableResult
    func executeBlocking(
        started: Latch? = nil, until gate: Latch, then body: @escaping @Sendable () -> Void = {}
    ) throws(RejectedExecutionError) -> Ticket {
        try execute {
            started?.countDown()
            gate.wait()
            body()
        }
    }

    /// Ends a test's pool: opens the gates its tasks block on, drops what is queued, and
    /// waits for every thread to exit.
    /// - Returns: Whether the pool terminated in time.
    @discardableResult
    func tearDown(opening gates: Latch...) -> Bool {
        for gate in gates { gate.open() }
        shutdownNow()
        return awaitTermination(timeout: .seconds(10))
    }
}
