@testable import BrigadeExecutors
import Logging
import Testing

@Suite struct SchedulerTests {
    @Test func tasksRunInDeadlineOrderOnTheSchedulerThread() {
        let scheduler = Scheduler(name: "sched-order")
        let order = Recorder<Int>()
        let tiers = Recorder<ThreadTier>()
        let done = Latch(count: 3)
        // Scheduled out of order; the heap runs them by deadline.
        for (delay, value) in [(30, 3), (10, 1), (20, 2)] {
            scheduler.schedule(after: .milliseconds(delay)) {
                order.record(value)
                tiers.record(ThreadTier.current)
                done.countDown()
            }
        }
        #expect(done.wait())
        #expect(order.all == [1, 2, 3])
        #expect(tiers.all == Array(repeating: .back("sched-order"), count: 3))
    }

    @Test func aCancelledTaskNeverRunsAndCancellingTwiceFails() {
        let scheduler = Scheduler(name: "sched-cancel")
        let ran = Recorder<String>()
        let later = Latch()
        let cancelled = scheduler.schedule(after: .milliseconds(20)) { ran.record("cancelled") }
        scheduler.schedule(after: .milliseconds(40)) {
            ran.record("kept")
            later.open()
        }
        #expect(cancelled.cancel())
        #expect(!cancelled.cancel())
        #expect(later.wait())
        #expect(ran.all == ["kept"])
        #expect(scheduler.pending == 0)
    }

    @Test func anEarlierTaskWakesTheSchedulerFromALongerWait() {
        let scheduler = Scheduler(name: "sched-wake")
        let done = Latch()
        let far = scheduler.schedule(after: .seconds(60)) {}
        let started = ContinuousClock.now
        scheduler.schedule(after: .milliseconds(10)) { done.open() }
        #expect(done.wait())
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(far.cancel())
    }

    @Test func theWorkContextOfTheSchedulerTravelsWithTheTask() {
        let scheduler = Scheduler(name: "sched-context")
        let seen = Recorder<String?>()
        let done = Latch()
        let context = WorkContext(requestID: "req-42", logger: Logger(label: "test"))
        WorkContext.$current.withValue(context) {
            scheduler.schedule(after: .zero) {
                seen.record(WorkContext.current?.requestID)
                done.open()
            }
        }
        #expect(done.wait())
        #expect(seen.all == ["req-42"])
    }

    @Test func manyTasksScheduledFromManyThreadsEachRunOnce() {
        let scheduler = Scheduler(name: "sched-many")
        let tally = RunTally(count: 4000)
        let done = Latch(count: 4000)
        let threads = Latch(count: 8)
        for thread in 0..<8 {
            ThreadPool.detachThread {
                for index in 0..<500 {
                    let id = thread * 500 + index
                    scheduler.schedule(after: .milliseconds(Int64(id % 7))) {
                        tally.ran(id)
                        done.countDown()
                    }
                }
                threads.countDown()
            }
        }
        #expect(threads.wait())
        #expect(done.wait())
        #expect(tally.notExactlyOnce.isEmpty)
    }
}
