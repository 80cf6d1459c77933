@testable import BrigadeExecutors
import Dispatch
import Synchronization
import Testing

/// `Completable`: completed once, composed, awaited, cancelled from its consumers.
@Suite struct CompletableTests {
    struct Boom: Error, Equatable {}

    @Test func theFirstCompletionWinsAndEveryCallbackSeesIt() async throws {
        let completable = Completable<Int>()
        let seen = Recorder<Int>()
        completable.whenComplete { seen.record((try? $0.get()) ?? -1) }
        #expect(!completable.isComplete)
        #expect(completable.succeed(1))
        #expect(!completable.succeed(2))
        #expect(!completable.fail(Boom()))
        #expect(!completable.cancel())
        completable.whenComplete { seen.record((try? $0.get()) ?? -1) }  // late: runs at once
        #expect(seen.all == [1, 1])
        #expect(try await completable.value == 1)
    }

    @Test func valueSuspendsUntilAnotherThreadCompletesIt() async throws {
        let completable = Completable<String>()
        DispatchQueue.global().async { completable.succeed("later") }
        #expect(try await completable.value == "later")
        let failed = Completable<String>()
        DispatchQueue.global().async { failed.fail(Boom()) }
        await #expect(throws: Boom.self) { try await failed.value }
    }

    @Test func cancellingRunsTheProducersHandlerOnceAndFailsWithCancellationError() async throws {
        let completable = Completable<Int>()
        let reasons = Recorder<String>()
        completable.onCancel { reasons.record($0) }
        #expect(completable.cancel(reason: "gone"))
        #expect(!completable.cancel(reason: "again"))
        completable.onCancel { reasons.record("late: \($0)") }  // already cancelled: runs now
        #expect(reasons.all == ["gone", "late: the result is no longer wanted"])
        await #expect(throws: CancellationError.self) { try await completable.value }
        // A completable that succeeded never calls its cancel handlers.
        let done = Completable<Int>.succeeded(1)
        done.onCancel { _ in reasons.record("wrong") }
        #expect(reasons.all.count == 2)
    }

    @Test func mapFlatMapAndRecoverCompose() async throws {
        let source = Completable<Int>()
        let doubled = source.map { $0 * 2 }
        let chained = doubled.flatMap { value in Completable<String>.succeeded("v\(value)") }
        source.succeed(21)
        #expect(try await doubled.value == 42)
        #expect(try await chained.value == "v42")

        let failing = Completable<Int>()
        let recovered = failing.map { $0 + 1 }.recover { _ in -1 }
        let thrown = failing.map { _ -> Int in throw Boom() }
        failing.fail(Boom())
        #expect(try await recovered.value == -1)
        await #expect(throws: Boom.self) { try await thrown.value }

        let transformThrows = Completable<Int>.succeeded(1).map { _ -> Int in throw Boom() }
        await #expect(throws: Boom.self) { try await transformThrows.value }
    }

    @Test func cancellingADerivedCompletableCancelsItsSource() {
        let source = Completable<Int>()
        let cancelled = Recorder<String>()
        source.onCancel { cancelled.record($0) }
        let derived = source.map { $0 + 1 }.recover { _ in 0 }
        derived.cancel(reason: "request timed out")
        #expect(cancelled.all == ["request timed out"])
        #expect(source.result.map { if case .failure(let error) = $0 { error is CancellationError } else { false } } == true)
    }

    @Test func flatMapCancelsTheStepUnderWay() {
        let first = Completable<Int>()
        let second = Completable<Int>()
        let chained = first.flatMap { _ in second }
        first.succeed(1)
        chained.cancel()
        #expect(second.isComplete, "the second step was cancelled")
    }

    @Test func andWaitsForBothAndAllKeepsTheOrder() async throws {
        let a = Completable<Int>()
        let b = Completable<String>()
        let both = a.and(b)
        b.succeed("b")
        #expect(!both.isComplete)
        a.succeed(1)
        let (number, text) = try await both.value
        #expect(number == 1 && text == "b")

        let parts = (0..<5).map { _ in Completable<Int>() }
        let all = Completable.all(parts)
        for index in [3, 0, 4, 1, 2] { parts[index].succeed(index * 10) }
        #expect(try await all.value == [0, 10, 20, 30, 40])
        #expect(try await Completable<Int>.all([]).value == [])
    }

    @Test func theFirstFailureFailsTheCombinationAndCancelsTheRest() async throws {
        let parts = (0..<3).map { _ in Completable<Int>() }
        let all = Completable.all(parts)
        parts[0].succeed(0)
        parts[1].fail(Boom())
        await #expect(throws: Boom.self) { try await all.value }
        #expect(parts[2].isComplete, "the part still under way was cancelled")

        let a = Completable<Int>()
        let b = Completable<Int>()
        let both = a.and(b)
        both.cancel()
        #expect(a.isComplete && b.isComplete)
    }

    @Test func cancellingTheAwaitingTaskCancelsTheCompletable() async throws {
        let completable = Completable<Int>()
        let cancelled = Latch()
        completable.onCancel { _ in cancelled.countDown() }
        let waiting = Task { try await completable.value }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(cancelled.wait())
    }
}
