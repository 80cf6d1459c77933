import BrigadePostgres
import Testing

@Suite("Pipeline batches")
struct BatchTests {
    @Test("a batch of 20 queries returns 20 results in order, pipelined or not")
    func twentyQueries() throws {
        let connection = try TestDatabase.connect()
        for pipelined in [true, false, true] {
            var batch = PostgresBatch()
            for i in 0..<20 {
                if i % 2 == 0 {
                    batch.append("SELECT \(i) * 2 AS v")
                } else {
                    batch.append("SELECT $1::int8 * 2 AS v", [i])
                }
            }
            let results = try connection.execute(batch, pipelined: pipelined)
            #expect(results.count == 20)
            let values = try results.map { try $0[0].decode(Int.self, column: "v") }
            #expect(values == (0..<20).map { $0 * 2 })
        }
        #expect(connection.cachedStatementCount == 2)
    }

    @Test("a failing statement fails the batch with its error and the connection stays usable")
    func failingStatement() throws {
        let connection = try TestDatabase.connect()
        var batch = PostgresBatch()
        batch.append("SELECT 1")
        batch.append("SELECT 1/0")
        batch.append("SELECT 3")
        let error = try #require(throws: PostgresError.self) { try connection.execute(batch) }
        #expect(error.sqlState == PostgresError.SQLState.divisionByZero)
        #expect(try connection.query("SELECT 5").first?.decode(Int.self, at: 0) == 5)
    }
}
