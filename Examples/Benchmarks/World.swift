import BrigadePostgres

/// A row of the `world` table, as TechEmpower's JSON wants it: `{"id":…,"randomNumber":…}`.
struct World: Codable, Sendable, Equatable {
    /// The row's id, 1…10000.
    var id: Int
    /// Its random number, 1…10000.
    var randomNumber: Int

    /// Reads `id, randomnumber` (in that order) from a row.
    /// - Throws: ``PostgresDecodingError`` when the row does not have that shape.
    init(row: PostgresRow) throws {
        id = try row.decode(Int.self, at: 0)
        randomNumber = try row.decode(Int.self, at: 1)
    }

    init(id: Int, randomNumber: Int) {
        self.id = id
        self.randomNumber = randomNumber
    }
}

/// The `/json` test's object: `{"message":"Hello, World!"}`.
struct Message: Codable, Sendable, Equatable {
    let message: String
}
