import BrigadePostgres
import Foundation
import Testing

struct Settings: PostgresJSONCodable, Equatable {
    var theme: String
    var size: Int
}

@Suite("Types both ways")
struct TypeRoundTripTests {
    @Test("every supported type goes in and comes back, and NULL comes back as nil")
    func everyTypeRoundTrips() throws {
        let connection = try TestDatabase.connect()
        try connection.executeScript("""
            CREATE TABLE everything (
                i8 bigint, i4 integer, i2 smallint, f8 double precision, f4 real, b boolean,
                t text, ts timestamptz, u uuid, by bytea, d bytea, n numeric, j jsonb
            )
            """)
        let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let uuid = UUID()
        let decimal = try #require(Decimal(string: "-12345678901234567890.0123456789"))
        let settings = Settings(theme: "dark", size: 3)
        try connection.execute("""
            INSERT INTO everything VALUES (
              \(Int.max), \(Int32.min), \(Int16(-7)), \(Double.pi), \(Float(1.5)), \(true), \("héllo ✓"),
              \(date), \(uuid), \([UInt8]([0, 1, 255])), \(Data([9, 8])), \(decimal), \(settings))
            """)
        let nothing: Int? = nil
        try connection.execute("INSERT INTO everything VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            [nothing, nil, Int16?.none, nil, nil, nil, String?.none, nil, nil, nil, nil, nil, nil])

        let rows = try connection.query("SELECT * FROM everything ORDER BY i8 NULLS LAST")
        #expect(rows.count == 2)
        let row = rows[0]
        #expect(try row.decode(Int.self, column: "i8") == Int.max)
        #expect(try row.decode(Int32.self, column: "i4") == Int32.min)
        #expect(try row.decode(Int16.self, column: "i2") == -7)
        #expect(try row.decode(Double.self, column: "f8") == Double.pi)
        #expect(try row.decode(Float.self, column: "f4") == 1.5)
        #expect(try row.decode(Bool.self, column: "b") == true)
        #expect(try row.decode(String.self, column: "t") == "héllo ✓")
        let back = try row.decode(Date.self, column: "ts")
        #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
        #expect(try row.decode(UUID.self, column: "u") == uuid)
        #expect(try row.decode([UInt8].self, column: "by") == [0, 1, 255])
        #expect(try row.decode(Data.self, column: "d") == Data([9, 8]))
        #expect(try row.decode(Decimal.self, column: "n") == decimal)
        #expect(try row.decode(Settings.self, column: "j") == settings)
        #expect(try row.decode(PostgresJSONB<Settings>.self, column: "j").value == settings)

        let nulls = rows[1]
        #expect(try nulls.decode(Int?.self, column: "i8") == nil)
        #expect(try nulls.decode(Int32?.self, column: "i4") == nil)
        #expect(try nulls.decode(Int16?.self, column: "i2") == nil)
        #expect(try nulls.decode(Double?.self, column: "f8") == nil)
        #expect(try nulls.decode(Float?.self, column: "f4") == nil)
        #expect(try nulls.decode(Bool?.self, column: "b") == nil)
        #expect(try nulls.decode(String?.self, column: "t") == nil)
        #expect(try nulls.decode(Date?.self, column: "ts") == nil)
        #expect(try nulls.decode(UUID?.self, column: "u") == nil)
        #expect(try nulls.decode([UInt8]?.self, column: "by") == nil)
        #expect(try nulls.decode(Data?.self, column: "d") == nil)
        #expect(try nulls.decode(Decimal?.self, column: "n") == nil)
        #expect(try nulls.decode(Settings?.self, column: "j") == nil)
    }

    @Test("numeric values keep every digit, including scale and zeros")
    func numericDigits() throws {
        let connection = try TestDatabase.connect()
        for text in ["0", "0.0001", "10000", "-1.50", "123456789.000000001", "0.00000000000000000001"] {
            let row = try #require(try connection.query("SELECT \(text)::numeric").first)
            #expect(try row.decode(String.self, at: 0) == text)
            #expect(try row.decode(Decimal.self, at: 0) == Decimal(string: text))
        }
    }

    struct User: Decodable, Equatable {
        let id: Int
        let displayName: String
        let email: String?
        let settings: Settings
        let createdAt: Date
    }

    @Test("rows decode into Decodable structs, snake_case columns to camelCase properties")
    func decodableStruct() throws {
        let connection = try TestDatabase.connect()
        let users = try connection.query("""
            SELECT 1 AS id, 'Ann' AS display_name, NULL::text AS email,
                   '{"theme":"light","size":2}'::jsonb AS settings, now() AS created_at
            """).decode(User.self)
        #expect(users.count == 1)
        #expect(users[0].displayName == "Ann")
        #expect(users[0].email == nil)
        #expect(users[0].settings == Settings(theme: "light", size: 2))
    }
}

@Suite("Decoding errors")
struct DecodingErrorTests {
    @Test("NULL into a non-optional names the column and the types")
    func nullIntoNonOptional() throws {
        let connection = try TestDatabase.connect()
        let row = try #require(try connection.query("SELECT NULL::int4 AS age").first)
        let error = try #require(throws: PostgresDecodingError.self) { try row.decode(Int.self, column: "age") }
        #expect(error.column == "age")
        #expect(error.postgresType == .int4)
        #expect(error.swiftType == "Int")
        #expect(error.description.contains("NULL"))
    }

    @Test("text into Int is an error naming the column, never a crash")
    func textIntoInt() throws {
        let connection = try TestDatabase.connect()
        let row = try #require(try connection.query("SELECT 'abc'::text AS name").first)
        let error = try #require(throws: PostgresDecodingError.self) { try row.decode(Int.self, column: "name") }
        #expect(error.column == "name")
        #expect(error.postgresType == .text)
        #expect(error.description.contains("text"))
    }

    @Test("a bigint too large for Int16 and a missing column are errors")
    func overflowAndMissing() throws {
        let connection = try TestDatabase.connect()
        let row = try #require(try connection.query("SELECT 100000::int8 AS big").first)
        #expect(throws: PostgresDecodingError.self) { try row.decode(Int16.self, column: "big") }
        #expect(throws: PostgresDecodingError.self) { try row.decode(Int.self, column: "nope") }
        #expect(throws: PostgresDecodingError.self) { try row.decode((Int, Int).self) }
    }
}
