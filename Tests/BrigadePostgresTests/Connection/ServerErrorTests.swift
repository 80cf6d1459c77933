import BrigadePostgres
import Testing

@Suite("Server errors")
struct ServerErrorTests {
    @Test("a unique violation carries SQLSTATE, constraint, detail and a redacted description")
    func uniqueViolation() throws {
        let connection = try TestDatabase.connect()
        try connection.executeScript("CREATE TABLE u (email text CONSTRAINT u_email_key UNIQUE)")
        try connection.execute("INSERT INTO u VALUES (\("a@example.com"))")
        let error = try #require(throws: PostgresError.self) {
            try connection.execute("INSERT INTO u VALUES (\("a@example.com"))")
        }
        #expect(error.code == .server)
        #expect(error.sqlState == PostgresError.SQLState.uniqueViolation)
        #expect(error.constraint == "u_email_key")
        #expect(error.table == "u")
        #expect(error.detail?.contains("a@example.com") == true)
        #expect(!error.description.contains("a@example.com"))
        #expect(String(reflecting: error).contains("a@example.com"))
        // The connection is still usable after an error.
        #expect(try connection.query("SELECT 1").count == 1)
    }

    @Test("a syntax error has SQLSTATE 42601 and a position")
    func syntaxError() throws {
        let connection = try TestDatabase.connect()
        let error = try #require(throws: PostgresError.self) { try connection.query("SELEC 1") }
        #expect(error.sqlState == PostgresError.SQLState.syntaxError)
        #expect(error.position == 1)
    }

    @Test("a hint comes through")
    func hint() throws {
        let connection = try TestDatabase.connect()
        let error = try #require(throws: PostgresError.self) {
            try connection.executeScript("DO $$ BEGIN RAISE EXCEPTION 'boom' USING HINT = 'try again', ERRCODE = 'P0001'; END $$")
        }
        #expect(error.sqlState == "P0001")
        #expect(error.message == "boom")
        #expect(error.hint == "try again")
    }
}
