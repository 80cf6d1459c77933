import BrigadeExecutors
import Logging
import Testing

/// The ``WorkContext`` travels with a task: captured at submission, installed on the thread
/// that runs it, and gone again afterwards.
@Suite("WorkContext propagation")
struct WorkContextPropagationTests {
    enum Tenant: WorkContextKey { typealias Value = String }

    struct Seen: Sendable, Equatable {
        var requestID: String?
        var deadline: ContinuousClock.Instant?
        var tenant: String?
        var loggedRequestID: String?

        init(_ context: WorkContext?) {
            requestID = context?.requestID
            deadline = context?.deadline
            tenant = context?[Tenant.self]
            if case .string(let id)? = context?.logger[metadataKey: "request-id"] { loggedRequestID = id }
        }
    }

    static func context(_ id: String, tenant: String? = nil) -> WorkContext {
        var context = WorkContext(
            requestID: id, logger: Logger(label: "test"), deadline: .now + .seconds(30))
        context[Tenant.self] = tenant
        return context
    }

    @Test func contextCurrentAtSubmissionIsVisibleInTheTask() throws {
        let pool = try makePool()
        defer { pool.tearDown() }
        let context = Self.context("req-42", tenant: "acme")
        let done = Latch(), seen = Recorder<Seen>()

        try WorkContext.$current.withValue(context) {
            try pool.execute {
                seen.record(Seen(WorkContext.current))
                done.countDown()
            }
        }

        #expect(done.wait())
        let expected = Seen(context)
        #expect(expected.requestID == "req-42" && expected.tenant == "acme" && expected.loggedRequestID == "req-42")
        #expect(seen.all == [expected])
    }

    @Test func taskSubmittedWithoutAContextSeesNone() throws {
        let pool = try makePool()
        defer { pool.tearDown() }
        let done = Latch(), seen = Recorder<Seen>()

        try pool.execute {
            seen.record(Seen(WorkContext.current))
            done.countDown()
        }

        #expect(done.wait())
        #expect(seen.all == [Seen(nil)])
    }

    @Test func contextDoesNotLeakIntoTheThreadsNextTask() throws {
        let pool = try makePool(max: 1)
        defer { pool.tearDown() }
        let done = Latch(count: 2), seen = Recorder<Seen>()

        try WorkContext.$current.withValue(Self.context("req-1")) {
            try pool.execute {
                seen.record(Seen(WorkContext.current))
                done.countDown()
            }
        }
        try pool.execute {
            seen.record(Seen(WorkContext.current))
            done.countDown()
        }

        #expect(done.wait())
        #expect(seen.all.map(\.requestID) == ["req-1", nil])
    }

    @Test func queuedTasksEachKeepTheContextOfTheirSubmission() throws {
        let pool = try makePool(max: 1, queue: 5)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let done = Latch(count: 3), seen = Recorder<String?>()
        let task: @Sendable () -> Void = {
            seen.record(WorkContext.current?.requestID)
            done.countDown()
        }

        try WorkContext.$current.withValue(Self.context("b")) { try pool.execute(task) }
        try WorkContext.$current.withValue(Self.context("c")) { try pool.execute(task) }
        try pool.execute(task)
        gate.open()

        #expect(done.wait())
        #expect(seen.all == ["b", "c", nil])
    }

    @Test func callerRunsTaskSeesTheSubmittersContext() throws {
        let pool = try makePool(max: 1, queue: 0, policy: .callerRuns)
        let gate = Latch(), started = Latch()
        defer { pool.tearDown(opening: gate) }
        try pool.executeBlocking(started: started, until: gate)
        #expect(started.wait())
        let seen = Recorder<String?>()

        try WorkContext.$current.withValue(Self.context("inline")) {
            try pool.execute { seen.record(WorkContext.current?.requestID) }
        }

        #expect(seen.all == ["inline"])
    }
}
