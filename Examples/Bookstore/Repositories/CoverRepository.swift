import Brigade
import BrigadePostgres

/// Books' cover images in PostgreSQL (`bytea`). Blocking: call it on the back tier.
struct CoverRepository: Sendable {
    let pool: PostgresPool

    /// Stores (or replaces) the cover of book `id`.
    /// - Throws: ``HTTPError`` 404 when there is no such book.
    func save(_ id: Int, contentType: String, image: [UInt8]) throws {
        do {
            try pool.query(
                """
                INSERT INTO book_covers (book_id, content_type, image) VALUES (\(id), \(contentType), \(image))
                ON CONFLICT (book_id) DO UPDATE SET content_type = excluded.content_type, image = excluded.image, updated_at = now()
                """)
        } catch let error as PostgresError where error.sqlState == PostgresError.SQLState.foreignKeyViolation {
            throw HTTPError(.notFound, "no book with id \(id)")
        }
    }

    /// The cover of book `id`.
    /// - Throws: ``HTTPError`` 404 when the book has none.
    func find(_ id: Int) throws -> (contentType: String, image: [UInt8]) {
        guard let row = try pool.query("SELECT content_type, image FROM book_covers WHERE book_id = \(id)").first else {
            throw HTTPError(.notFound, "book \(id) has no cover")
        }
        return (try row.decode(String.self, at: 0), try row.decode([UInt8].self, at: 1))
    }
}
