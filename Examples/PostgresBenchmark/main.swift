// pg-benchmark: single-row SELECT throughput through PostgresPool from N back threads, and a
// 20-query batch with and without pipeline mode. Run by scripts/bench-db.sh, which also runs
// pgbench against the same server and passes its figure in for the ratio.
//
// usage: pg-benchmark [--url URL] [--threads N] [--seconds S] [--pgbench-tps TPS]
//   without --url, an EmbeddedPostgres cluster is started and removed afterwards.

import BrigadeExecutors
import BrigadePostgres
import Foundation
import Synchronization

struct Options {
    var url: String?
    var threads = 4
    var seconds = 10.0
    var pgbenchTPS: Double?
    var rows = 10_000

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--url": url = iterator.next()
            case "--threads": threads = iterator.next().flatMap(Int.init) ?? threads
            case "--seconds": seconds = iterator.next().flatMap(Double.init) ?? seconds
            case "--pgbench-tps": pgbenchTPS = iterator.next().flatMap(Double.init)
            case "--direct", "--no-batch", "--direct-only": break
            default: FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
            }
        }
    }
}

/// The benchmark; a failure (a database that does not answer, say) ends it with one line.
func benchmark() throws {
    let options = Options(CommandLine.arguments)
    var embedded: EmbeddedPostgres?
    let url: String
    if let given = options.url {
        url = given
    } else {
        let server = try EmbeddedPostgres.start()
        embedded = server
        url = server.url
    }

    // Schema: the TechEmpower "world" table.
    do {
        let setup = try PostgresConnection(url: url)
        try setup.executeScript("CREATE TABLE IF NOT EXISTS world (id integer PRIMARY KEY, randomnumber integer NOT NULL)")
        try setup.execute("""
            INSERT INTO world SELECT i, (random() * 10000)::int + 1 FROM generate_series(1, \(options.rows)) i
            ON CONFLICT DO NOTHING
            """)
        try setup.executeScript("ANALYZE world")
        setup.close()
    }

    let rows = options.rows

    /// A cheap per-thread random id (pgbench does not make a system call per number either).
    @Sendable func randomID() -> Int32 {
        var state = UInt64(truncatingIfNeeded: Int(bitPattern: pthread_self())) &+ threadRandomState.get()
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        threadRandomState.set(state)
        return Int32(truncatingIfNeeded: state % UInt64(rows)) + 1
    }

    /// Per-thread xorshift state.
    enum threadRandomState {
        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            pthread_key_create(&key, nil)
            return key
        }()
        static func get() -> UInt64 { UInt64(UInt(bitPattern: pthread_getspecific(key))) }
        static func set(_ value: UInt64) { pthread_setspecific(key, UnsafeRawPointer(bitPattern: UInt(value | 1))) }
    }
    let selectWorld: PostgresQuery = "SELECT id, randomnumber FROM world WHERE id = $1"

    /// Runs `body` on `threads` back threads until `seconds` pass; returns operations per second.
    func measure(threads: Int, seconds: Double, _ body: @escaping @Sendable () throws -> Void) throws -> Double {
        let count = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let group = DispatchGroup()
        let start = ContinuousClock.now
        for index in 0..<threads {
            group.enter()
            // Dedicated threads marked as back tier: every worker runs for the whole measurement.
            let thread = Thread {
                ThreadTier.markCurrentThread(.back("bench"), name: "bench-\(index + 1)")
                defer { group.leave() }
                var local = 0
                while !stop.load(ordering: .relaxed) {
                    do { try body() } catch { failures.add(1, ordering: .relaxed) }
                    local += 1
                }
                count.add(local, ordering: .relaxed)
            }
            thread.start()
        }
        Thread.sleep(forTimeInterval: seconds)
        stop.store(true, ordering: .relaxed)
        group.wait()
        let elapsed = start.duration(to: .now)
        if failures.load(ordering: .relaxed) > 0 { print("warning: \(failures.load(ordering: .relaxed)) failures") }
        let (s, atto) = elapsed.components
        return Double(count.load(ordering: .relaxed)) / (Double(s) + Double(atto) / 1e18)
    }

    // 1. Single-row SELECT through the pool.
    let pool = try PostgresPool(configuration: .init(
        url: url, maxSize: options.threads, minIdle: options.threads, frontTierAccess: .allow))
    let warm = try measure(threads: options.threads, seconds: 1) {
        try pool.withConnection { _ = try $0.query(selectWorld, [randomID()]) }
    }
    _ = warm
    let directOnly = CommandLine.arguments.contains("--direct-only")
    let poolQPS = directOnly ? 1 : try measure(threads: options.threads, seconds: options.seconds) {
        try pool.withConnection { connection in
            let row = try connection.query(selectWorld, [randomID()])[0]
            _ = try row.decode((Int32, Int32).self)
        }
    }

    // 1b. The same from N threads, each on its own connection (no pool), to isolate pool costs.
    final class ConnectionBox: @unchecked Sendable {
        // @unchecked Sendable: each box is used by exactly one benchmark thread (thread-local).
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }
    }
    let directQPS: Double? = CommandLine.arguments.contains("--direct") || directOnly ? try measure(threads: options.threads, seconds: options.seconds) {
        let key = "bench.connection"
        let box: ConnectionBox
        if let existing = Thread.current.threadDictionary[key] as? ConnectionBox {
            box = existing
        } else {
            box = ConnectionBox(try PostgresConnection(url: url))
            Thread.current.threadDictionary[key] = box
        }
        let row = try box.connection.query(selectWorld, [randomID()])[0]
        _ = try row.decode((Int32, Int32).self)
    } : nil

    let poolAgainQPS: Double? = directQPS == nil || directOnly ? nil : try measure(threads: options.threads, seconds: options.seconds) {
        try pool.withConnection { connection in
            let row = try connection.query(selectWorld, [randomID()])[0]
            _ = try row.decode((Int32, Int32).self)
        }
    }

    // 2. A 20-query batch on one connection: pipelined vs one round trip each.
    func batchRate(pipelined: Bool) throws -> Double {
        try measure(threads: 1, seconds: max(2, options.seconds / 2)) {
            try pool.withConnection { connection in
                var batch = PostgresBatch()
                for _ in 0..<20 { batch.append(selectWorld, [randomID()]) }
                let results = try connection.execute(batch, pipelined: pipelined)
                for result in results { _ = try result[0].decode((Int32, Int32).self) }
            }
        }
    }
    let skipBatch = CommandLine.arguments.contains("--no-batch")
    let pipelinedRate = skipBatch ? 1 : try batchRate(pipelined: true)
    let sequentialRate = skipBatch ? 1 : try batchRate(pipelined: false)
    pool.shutdown()

    func format(_ value: Double) -> String { String(format: "%.0f", value) }

    print("")
    print("### Single-row `SELECT id, randomnumber FROM world WHERE id = $1`, \(options.threads) connections, \(format(options.seconds)) s")
    print("")
    print("| client | queries/s | ratio to pgbench |")
    print("|---|---:|---:|")
    if let tps = options.pgbenchTPS {
        print("| pgbench -M prepared (-c \(options.threads) -j \(options.threads)) | \(format(tps)) | 1.00 |")
        print("| PostgresPool, \(options.threads) back threads | \(format(poolQPS)) | \(String(format: "%.2f", poolQPS / tps)) |")
    } else {
        print("| PostgresPool, \(options.threads) back threads | \(format(poolQPS)) | (no pgbench figure) |")
    }
    if let poolAgainQPS { print("| PostgresPool again, after the direct run | \(format(poolAgainQPS)) | - |") }
    if let directQPS {
        print("| own connection per thread (no pool), \(options.threads) threads | \(format(directQPS)) | \(options.pgbenchTPS.map { String(format: "%.2f", directQPS / $0) } ?? "-") |")
    }
    print("")
    print("### 20-query batch on one connection")
    print("")
    print("| mode | batches/s | queries/s | speed-up |")
    print("|---|---:|---:|---:|")
    print("| pipeline mode (one round trip) | \(format(pipelinedRate)) | \(format(pipelinedRate * 20)) | \(String(format: "%.1f", pipelinedRate / sequentialRate))× |")
    print("| one round trip per query | \(format(sequentialRate)) | \(format(sequentialRate * 20)) | 1.0× |")
    print("")
    print("pool: \(pool.statistics)")
    embedded?.stop()
}

do {
    try benchmark()
} catch {
    let reason = (error as? any StartupFailure)?.diagnosis.description ?? StartupDiagnosis.oneLine(String(describing: error))
    FileHandle.standardError.write(Data("pg-benchmark: \(reason)\n".utf8))
    exit(1)
}
