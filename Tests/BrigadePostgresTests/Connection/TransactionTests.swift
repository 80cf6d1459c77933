import BrigadePostgres
import Testing

struct Boom: Error {}

@Suite("Transactions")
struct TransactionTests {
    private func count(_ connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM items").first?.decode(Int.self, at: 0) ?? -1
    }

    @Test("a transaction commits when its body returns and rolls back when it throws")
    func commitAndRollback() throws {
        let connection = try TestDatabase.connect()
        try connection.executeScript("CREATE TABLE items (id int)")
        try connection.withTransaction { tx in try tx.execute("INSERT INTO items VALUES (\(1))") }
        #expect(try count(connection) == 1)
        #expect(throws: Boom.self) {
            try connection.withTransaction { tx in
                try tx.execute("INSERT INTO items VALUES (\(2))")
                throw Boom()
            }
        }
        #expect(try count(connection) == 1)
        #expect(connection.transactionStatus == .idle)
    }

    @Test("nested transactions use savepoints: an inner failure rolls back only the inner work")
    func nestedSavepoints() throws {
        let connection = try TestDatabase.connect()
        try connection.executeScript("CREATE TABLE items (id int)")
        try connection.withTransaction { tx in
            try tx.execute("INSERT INTO items VALUES (\(1))")
            try? tx.withTransaction { inner in
                try inner.execute("INSERT INTO items VALUES (\(2))")
                try inner.withTransaction { innermost in try innermost.execute("INSERT INTO items VALUES (\(3))") }
                throw Boom()
            }
            try tx.withTransaction { inner in try inner.execute("INSERT INTO items VALUES (\(4))") }
            // A server error inside a savepoint leaves the outer transaction usable.
            _ = try? tx.withTransaction { inner in try inner.query("SELECT 1/0") }
            #expect(tx.isInTransaction)
        }
        let ids = try connection.query("SELECT id FROM items ORDER BY id").map { try $0.decode(Int.self, at: 0) }
        #expect(ids == [1, 4])
    }
}
