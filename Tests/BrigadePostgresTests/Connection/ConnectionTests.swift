import BrigadePostgres
import Foundation
import Testing

@Suite("PostgresConnection")
struct ConnectionTests {
    @Test("a parameterized query returns typed rows")
    func simpleQuery() throws {
        let connection = try TestDatabase.connect()
        let rows = try connection.query("SELECT $1::int4 + 1 AS n, $2::text AS s", [41, "héllo"])
        #expect(rows.count == 1)
        #expect(try rows[0].decode(Int.self, column: "n") == 42)
        #expect(try rows[0].decode(String.self, column: "s") == "héllo")
        #expect(try rows[0].decode((Int, String).self) == (42, "héllo"))
    }

    @Test("interpolated values become bound parameters, never SQL text")
    func interpolationBinds() throws {
        let connection = try TestDatabase.connect()
        let evil = "x'; DROP TABLE users; --"
        let query: PostgresQuery = "SELECT \(evil)::text AS s, \(7) AS n"
        #expect(query.sql == "SELECT $1::text AS s, $2 AS n")
        let row = try #require(try connection.query(query).first)
        #expect(try row.decode(String.self, column: "s") == evil)
        #expect(try row.decode(Int.self, column: "n") == 7)
    }

    @Test("an unconnectable server fails with a connection error")
    func connectFailure() throws {
        #expect {
            try PostgresConnection(url: "host=/tmp/no-such-dir port=1 dbname=x user=postgres", connectTimeout: .seconds(2))
        } throws: { ($0 as? PostgresError)?.code == .connection }
    }

    @Test("statements are prepared once and reused from the cache")
    func statementCache() throws {
        let connection = try TestDatabase.connect()
        for i in 0..<5 { try connection.query("SELECT $1::int8", [i]) }
        try connection.query("SELECT 2")
        #expect(connection.cachedStatementCount == 2)
        let prepared = try connection.query("SELECT count(*) FROM pg_prepared_statements").first?.decode(Int.self, at: 0)
        #expect(prepared == 3)  // the two above and this one
    }

    @Test("a closed connection refuses work")
    func closed() throws {
        let connection = try TestDatabase.connect()
        connection.close()
        #expect(connection.isClosed)
        #expect { try connection.query("SELECT 1") } throws: { ($0 as? PostgresError)?.code == .connectionClosed }
    }

    @Test("a multi-statement script runs with the simple protocol")
    func script() throws {
        let connection = try TestDatabase.connect()
        try connection.executeScript("""
            CREATE TABLE t (id int PRIMARY KEY, v text);
            INSERT INTO t VALUES (1, 'a'), (2, 'b');
            """)
        #expect(try connection.query("SELECT count(*) FROM t").first?.decode(Int.self, at: 0) == 2)
        #expect(try connection.execute("UPDATE t SET v = \("z") WHERE id >= \(1)") == 2)
    }
}
