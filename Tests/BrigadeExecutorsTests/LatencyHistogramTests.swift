import BrigadeExecutors
import Logging
import Testing

@Suite struct LatencyHistogramTests {
    @Test("percentiles are upper bounds within 25 % of the true value")
    func percentilesAreCloseUpperBounds() {
        var histogram = LatencyHistogram()
        // 1 µs … 10 s, log-spaced.
        var values: [UInt64] = []
        var value = 1_000.0
        while value < 10e9 {
            values.append(UInt64(value))
            value *= 1.07
        }
        for value in values { histogram.record(nanoseconds: value) }
        #expect(histogram.count == UInt64(values.count))
        #expect(histogram.sumNanoseconds == values.reduce(0, +))
        let sorted = values.sorted()
        for p in [0.5, 0.9, 0.95, 0.99, 1.0] {
            let exact = Double(sorted[Int((Double(sorted.count) * p).rounded(.up)) - 1])
            let estimate = Double(histogram.percentile(p).components.seconds) * 1e9
                + Double(histogram.percentile(p).components.attoseconds) / 1e9
            #expect(estimate >= exact, "p\(p): \(estimate) < \(exact)")
            #expect(estimate <= exact * 1.25 + 1024, "p\(p): \(estimate) vs \(exact)")
        }
    }

    @Test("subtracting an earlier snapshot leaves what was recorded since")
    func windows() {
        var histogram = LatencyHistogram()
        for _ in 0..<100 { histogram.record(nanoseconds: 1_000_000) }  // 1 ms
        let earlier = histogram
        for _ in 0..<10 { histogram.record(nanoseconds: 100_000_000) }  // 100 ms
        let window = histogram.subtracting(earlier)
        #expect(window.count == 10)
        #expect(window.mean == .milliseconds(100))
        #expect(window.percentile(0.5) >= .milliseconds(100))
        #expect(window.percentile(0.5) < .milliseconds(125))
        #expect(LatencyHistogram().percentile(0.99) == .zero)
    }

    @Test("huge durations land in the last bucket")
    func huge() {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: .max)
        histogram.record(nanoseconds: 0)
        #expect(histogram.count == 2)
        #expect(histogram.counts.last == 1)
        #expect(histogram.counts.first == 1)
    }
}

@Suite struct RunningTasksTests {
    @Test("a pool reports what its threads run, with the label of the work's context, longest first")
    func runningTasks() throws {
        let pool = try ThreadPool(configuration: .init(name: "watched", tier: .back("watched"), maxThreads: 2))
        defer { _ = pool.shutdownNow() }
        let started = Latch(count: 2)
        let release = Latch(count: 1)
        var context = WorkContext(requestID: "r1", logger: .init(label: "test"))
        context.activity = "GET /slow"
        try WorkContext.$current.withValue(context) {
            try pool.execute { started.countDown(); release.wait() }
        }
        try pool.execute {
            ThreadPool.labelCurrentTask("GET /later")
            started.countDown()
            release.wait()
        }
        #expect(started.wait())
        let running = pool.runningTasks()
        #expect(Set(running.compactMap(\.label)) == ["GET /slow", "GET /later"])
        #expect(running.allSatisfy { $0.thread.hasPrefix("watched-") })
        #expect(running[0].runningFor >= running[1].runningFor)
        release.countDown()
        let snapshot = pool.snapshot()
        #expect(snapshot.kind == .back)
        #expect(snapshot.maxSize == 2)
    }
}
