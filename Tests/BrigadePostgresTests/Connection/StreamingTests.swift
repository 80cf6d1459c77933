import BrigadeExecutors
@testable import BrigadePostgres
import Foundation
import Testing

@Suite("Rows one at a time, and COPY", .timeLimit(.minutes(3)))
struct StreamingTests {
    @Test("a million rows come one result per row: never the whole result in memory")
    func aMillionRowsOneAtATime() async throws {
        let (count, sum, widest) = try await offThread {
            let connection = try TestDatabase.connect()
            var sum = 0
            var widest = 0
            let count = try connection.forEachRow("SELECT n, 'row ' || n AS label FROM generate_series(1, 1000000) AS n") { row in
                // The result behind each row holds that row alone: libpq's single-row mode.
                widest = max(widest, row.rows.count)
                sum += try row.decode(Int.self, column: "n")
            }
            return (count, sum, widest)
        }
        #expect(count == 1_000_000)
        #expect(sum == 500_000_500_000)
        #expect(widest == 1)
    }

    @Test("a consumer that stops cancels the statement, and the connection serves on")
    func stoppingEarlyCancels() async throws {
        struct Enough: Error {}
        let (seen, elapsed, after, stillActive) = try await offThread {
            let connection = try TestDatabase.connect()
            let clock = ContinuousClock()
            let start = clock.now
            var seen = 0
            // Half a billion rows, produced as they are sent (in the select list, not materialized
            // like a function in FROM): draining them instead of cancelling would take minutes.
            #expect(throws: Enough.self) {
                try connection.forEachRow("SELECT generate_series(1, 500000000) AS n") { _ in
                    seen += 1
                    if seen == 10 { throw Enough() }
                }
            }
            let elapsed = clock.now - start
            let after = try connection.query("SELECT 41 + 1").first?.decode(Int.self, at: 0)
            let active = try connection.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%500000000%' AND state = 'active' AND pid <> pg_backend_pid()"
            ).first?.decode(Int.self, at: 0)
            return (seen, elapsed, after, active)
        }
        #expect(seen == 10)
        #expect(elapsed < .seconds(30))
        #expect(after == 42)
        #expect(stillActive == 0)
    }

    @Test("a deadline cancels a streamed statement")
    func aDeadlineCancels() async throws {
        let error = try await offThread { () -> PostgresError? in
            let connection = try TestDatabase.connect()
            do {
                try connection.forEachRow("SELECT pg_sleep(10)", deadline: .now + .milliseconds(200)) { _ in }
                return nil
            } catch let error as PostgresError {
                return error
            }
        }
        #expect(error?.code == .timeout)
    }

    @Test("COPY FROM with a bad line fails naming it, and imports nothing")
    func copyInNamesTheBadLine() async throws {
        let (error, count, after) = try await offThread { () -> (PostgresError?, Int?, Int?) in
            let connection = try TestDatabase.connect()
            try connection.executeScript("CREATE TABLE books (id int PRIMARY KEY, title text NOT NULL)")
            var failure: PostgresError?
            do {
                try connection.copyIn("COPY books (id, title) FROM STDIN (FORMAT csv, HEADER)") { copy in
                    try copy.write("id,title\n")
                    try copy.write("1,Dune\n")
                    try copy.write("two,Emma\n")  // line 3
                    try copy.write("3,Ulysses\n")
                }
            } catch let error as PostgresError {
                failure = error
            }
            let count = try connection.query("SELECT count(*) FROM books").first?.decode(Int.self, at: 0)
            let imported = try connection.copyIn("COPY books (id, title) FROM STDIN (FORMAT csv)") { copy in
                try copy.write("1,Dune\n2,Emma\n")
            }
            return (failure, count, imported)
        }
        #expect(error?.sqlState == "22P02")
        #expect(error?.copyLine == 3)
        #expect(count == 0)
        #expect(after == 2, "the connection serves on")
    }

    @Test("a COPY FROM whose writer throws is aborted: nothing imported, the error rethrown")
    func copyInAbortedByTheWriter() async throws {
        struct UploadBroke: Error {}
        let count = try await offThread { () -> Int? in
            let connection = try TestDatabase.connect()
            try connection.executeScript("CREATE TABLE lines (n int)")
            #expect(throws: UploadBroke.self) {
                try connection.copyIn("COPY lines FROM STDIN") { copy in
                    for n in 0..<1000 { try copy.write("\(n)\n") }
                    throw UploadBroke()
                }
            }
            return try connection.query("SELECT count(*) FROM lines").first?.decode(Int.self, at: 0)
        }
        #expect(count == 0)
    }

    @Test("COPY TO then COPY FROM round-trips every type the binding supports")
    func copyRoundTripsEveryType() async throws {
        let (copied, imported, differences, chunks) = try await offThread { () -> (Int, Int, Int?, Int) in
            let connection = try TestDatabase.connect()
            let columns = """
                i8 bigint, i4 integer, i2 smallint, f8 double precision, f4 real, b boolean, t text,
                ts timestamptz, u uuid, by bytea, n numeric, j jsonb
                """
            try connection.executeScript(PostgresQuery(unsafeSQL: "CREATE TABLE source (\(columns)); CREATE TABLE target (\(columns))"))
            let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let decimal = try #require(Decimal(string: "-12345678901234567890.0123456789"))
            for index in 0..<3 {
                try connection.execute("""
                    INSERT INTO source VALUES (
                      \(Int.max - index), \(Int32.min), \(Int16(-7)), \(Double.pi), \(Float(1.5)), \(index % 2 == 0),
                      \("héllo, \"quoted\"\nline ✓ \(index)"), \(date), \(UUID()), \([UInt8]([0, 1, 255, 10, 44])), \(decimal),
                      \(Settings(theme: "dark,\"x\"", size: index)))
                    """)
            }
            let nothing: Int? = nil
            try connection.execute("INSERT INTO source VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                [nothing, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil])
            var data: [UInt8] = []
            var chunks = 0
            let copied = try connection.copyOut("COPY source TO STDOUT (FORMAT csv)") { chunk in
                data.append(contentsOf: chunk)
                chunks += 1
            }
            let imported = try connection.copyIn("COPY target FROM STDIN (FORMAT csv)") { copy in try copy.write(data) }
            let differences = try connection.query(
                "SELECT count(*) FROM ((SELECT * FROM source EXCEPT ALL SELECT * FROM target) UNION ALL (SELECT * FROM target EXCEPT ALL SELECT * FROM source)) AS d"
            ).first?.decode(Int.self, at: 0)
            return (copied, imported, differences, chunks)
        }
        #expect(copied == 4)
        #expect(imported == 4)
        #expect(differences == 0)
        #expect(chunks == 4, "one chunk per row")
    }

    @Test("a COPY TO consumer that stops cancels it; misuse is refused clearly")
    func copyOutStopsAndMisuse() async throws {
        struct Enough: Error {}
        let (seen, after) = try await offThread { () -> (Int, Int?) in
            let connection = try TestDatabase.connect()
            var seen = 0
            #expect(throws: Enough.self) {
                try connection.copyOut("COPY (SELECT generate_series(1, 500000000)) TO STDOUT") { _ in
                    seen += 1
                    if seen == 5 { throw Enough() }
                }
            }
            #expect(throws: PostgresError.self) { try connection.copyOut("SELECT 1") { _ in } }
            #expect(throws: PostgresError.self) { try connection.copyIn("COPY (SELECT 1) TO STDOUT") { _ in } }
            #expect(throws: PostgresError.self) { try connection.copyIn("COPY x FROM STDIN WHERE a = \(1)") { _ in } }
            return (seen, try connection.query("SELECT 7").first?.decode(Int.self, at: 0))
        }
        #expect(seen == 5)
        #expect(after == 7)
    }
}
