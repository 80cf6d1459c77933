import BrigadeExecutors
import Synchronization
import Testing

/// Many threads submitting, cancelling and shutting down at once: nothing is lost, nothing
/// runs twice, and the counters add up.
@Suite("ThreadPool under concurrent submitters")
struct ThreadPoolConcurrencyTests {
    @Test func manySubmittersEveryTaskRunsExactlyOnce() throws {
        let submitters = 8, perSubmitter = 10_000, total = submitters * perSubmitter
        let pool = try makePool(core: 0, max: 4, queue: total)
        defer { pool.tearDown() }
        let tally = RunTally(count: total), done = Latch(count: total), rejected = Counter()

        onUnmanagedThreads(submitters) { submitter in
            for index in submitter * perSubmitter..<(submitter + 1) * perSubmitter {
                do {
                    try pool.execute {
                        tally.ran(index)
                        done.countDown()
                    }
                } catch {
                    rejected.increment()
                }
            }
        }

        #expect(done.wait(timeout: .seconds(30)), "a task was lost (or a worker never woke)")
        #expect(rejected.value == 0)
        #expect(tally.notExactlyOnce.isEmpty)
        #expect(eventually { pool.statistics.completed == total })
        let stats = pool.statistics
        #expect(stats.largestPoolSize <= 4)
        #expect(stats.queued == 0)
        #expect(stats.active == 0)
    }

    @Test func manySubmittersWhileIdleThreadsKeepExiting() throws {
        // A zero keep-alive makes threads leave as soon as they are idle, racing every
        // hand-off against a thread on its way out.
        let submitters = 4, perSubmitter = 2_000, total = submitters * perSubmitter
        let pool = try makePool(core: 0, max: 3, queue: total, keepAlive: .zero)
        defer { pool.tearDown() }
        let tally = RunTally(count: total), done = Latch(count: total)

        onUnmanagedThreads(submitters) { submitter in
            for index in submitter * perSubmitter..<(submitter + 1) * perSubmitter {
                _ = try? pool.execute {
                    tally.ran(index)
                    done.countDown()
                }
            }
        }

        #expect(done.wait(timeout: .seconds(30)))
        #expect(tally.notExactlyOnce.isEmpty)
        #expect(eventually { pool.statistics.completed == total && pool.statistics.poolSize == 0 })
        #expect(pool.statistics.largestPoolSize <= 3)
    }

    @Test func manySubmittersAgainstASaturatedPoolAccountForEveryTask() throws {
        let submitters = 8, perSubmitter = 2_000, total = submitters * perSubmitter
        let pool = try makePool(core: 0, max: 2, queue: 8)
        defer { pool.tearDown() }
        let tally = RunTally(count: total), accepted = RunTally(count: total)
        let rejected = Counter(), wrongReason = Counter()

        onUnmanagedThreads(submitters) { submitter in
            for index in submitter * perSubmitter..<(submitter + 1) * perSubmitter {
                do {
                    try pool.execute {
                        tally.ran(index)
                        spin(microseconds: 20)  // simulated work, so the submitters outrun it
                    }
                    accepted.ran(index)
                } catch {
                    rejected.increment()
                    if (error as? RejectedExecutionError)?.reason != .saturated { wrongReason.increment() }
                }
            }
        }

        let acceptedCount = total - accepted.notExactlyOnce.count
        #expect(acceptedCount + rejected.value == total)
        #expect(rejected.value > 0, "the pool was meant to saturate")
        #expect(wrongReason.value == 0)
        #expect(eventually { pool.statistics.completed == acceptedCount })
        #expect(pool.statistics.rejected == rejected.value)
        for index in 0..<total {
            if tally.times(index) != accepted.times(index) {
                Issue.record("task \(index): accepted \(accepted.times(index)), ran \(tally.times(index))")
                break
            }
        }
    }

    @Test func callerRunsUnderConcurrentSubmittersRunsEveryTaskExactlyOnce() throws {
        let submitters = 4, perSubmitter = 2_000, total = submitters * perSubmitter
        let pool = try makePool(core: 0, max: 2, queue: 4, policy: .callerRuns)
        defer { pool.tearDown() }
        let tally = RunTally(count: total), done = Latch(count: total)

        onUnmanagedThreads(submitters) { submitter in
            for index in submitter * perSubmitter..<(submitter + 1) * perSubmitter {
                _ = try? pool.execute {
                    tally.ran(index)
                    spin(microseconds: 5)
                    done.countDown()
                }
            }
        }

        #expect(done.wait(timeout: .seconds(30)))
        #expect(tally.notExactlyOnce.isEmpty)
        #expect(eventually {
            let stats = pool.statistics
            return stats.completed + stats.rejected == total
        })
    }

    @Test func cancelRacingWithWorkersResolvesEveryTaskExactlyOnce() throws {
        let total = 5_000
        let pool = try makePool(core: 0, max: 2, queue: total)
        defer { pool.tearDown() }
        let tally = RunTally(count: total)
        let tickets = Mutex<[(index: Int, ticket: ThreadPool.Ticket)]>([])
        let submitted = Latch(), cancelledIndices = Recorder<Int>()

        onUnmanagedThreads(2) { thread in
            if thread == 0 {
                for index in 0..<total {
                    let ticket = try? pool.execute {
                        tally.ran(index)
                        spin(microseconds: 2)
                    }
                    if let ticket { tickets.withLock { $0.append((index, ticket)) } }
                }
                submitted.open()
            } else {
                var next = 0
                while true {
                    let batch = tickets.withLock { tickets in tickets.count > next ? Array(tickets[next...]) : [] }
                    next += batch.count
                    for (index, ticket) in batch where index % 2 == 0 {
                        if pool.cancel(ticket) { cancelledIndices.record(index) }
                    }
                    if batch.isEmpty, submitted.isOpen, tickets.withLock({ $0.count }) == next { break }
                }
            }
        }

        let cancelled = Set(cancelledIndices.all)
        #expect(eventually { pool.statistics.completed + pool.statistics.cancelled == total })
        #expect(pool.statistics.cancelled == cancelled.count)
        for index in 0..<total {
            let expected = cancelled.contains(index) ? 0 : 1
            if tally.times(index) != expected {
                Issue.record("task \(index) ran \(tally.times(index)) times; cancelled: \(cancelled.contains(index))")
                break
            }
        }
    }

    @Test func shutdownRacingWithSubmittersRunsEveryAcceptedTask() throws {
        let submitters = 4, perSubmitter = 2_000, total = submitters * perSubmitter
        let pool = try makePool(core: 0, max: 2, queue: total)
        let tally = RunTally(count: total), accepted = RunTally(count: total)
        let wrongReason = Counter(), progress = Latch(count: 1_000)

        onUnmanagedThreads(submitters + 1) { thread in
            if thread == submitters {
                progress.wait()
                pool.shutdown()
                return
            }
            for index in thread * perSubmitter..<(thread + 1) * perSubmitter {
                do {
                    try pool.execute { tally.ran(index) }
                    accepted.ran(index)
                } catch {
                    if (error as? RejectedExecutionError)?.reason != .shutdown { wrongReason.increment() }
                }
                progress.countDown()
            }
        }

        #expect(pool.awaitTermination(timeout: .seconds(30)))
        #expect(wrongReason.value == 0)
        let acceptedCount = (0..<total).filter { accepted.times($0) == 1 }.count
        #expect(pool.statistics.completed == acceptedCount)
        #expect(pool.statistics.rejected == total - acceptedCount)
        #expect((0..<total).allSatisfy { tally.times($0) == accepted.times($0) })
    }

    @Test func shutdownNowRacingWithWorkersRunsOrDiscardsEveryAcceptedTaskOnce() throws {
        let total = 5_000
        let pool = try makePool(core: 0, max: 2, queue: total)
        let tally = RunTally(count: total), discarded = RunTally(count: total)
        let accepted = Counter(), dropped = Counter(), progress = Latch(count: 500)

        onUnmanagedThreads(2) { thread in
            if thread == 1 {
                progress.wait()
                dropped.add(pool.shutdownNow())
                return
            }
            for index in 0..<total {
                if (try? pool.execute(onDiscard: { _ in discarded.ran(index) }) {
                    tally.ran(index)
                    spin(microseconds: 2)
                }) != nil {
                    accepted.increment()
                }
                progress.countDown()
            }
        }

        #expect(pool.awaitTermination(timeout: .seconds(30)))
        let ran = (0..<total).filter { tally.times($0) > 0 }.count
        let discards = (0..<total).filter { discarded.times($0) > 0 }.count
        #expect(ran + discards == accepted.value)
        #expect(discards == dropped.value)
        #expect((0..<total).allSatisfy { tally.times($0) + discarded.times($0) <= 1 })
    }
}

extension Counter {
    func add(_ amount: Int) { for _ in 0..<amount { increment() } }
}

/// Busy work standing in for a short task (not a wait for anything).
func spin(microseconds: Int) {
    let clock = ContinuousClock()
    let end = clock.now + .microseconds(microseconds)
    while clock.now < end {}
}
