import Brigade
import BrigadePostgres

/// Authors in PostgreSQL. Every method blocks on the database: call it from a back-tier
/// thread (inside a `Callable` or `WebAsyncTask`), never from a handler directly.
struct AuthorRepository: Sendable {
    let pool: PostgresPool

    /// One page of authors, by id.
    func list(_ page: PageRequest) throws -> Page<Author> {
        try pool.withConnection { connection in
            let total = try connection.query("SELECT count(*) FROM authors").first?.decode(Int.self, at: 0) ?? 0
            let items = try connection.query(
                "SELECT id, name, bio FROM authors ORDER BY id LIMIT \(page.size) OFFSET \(page.offset)"
            ).decode(Author.self)
            return Page(items: items, page: page.page, size: page.size, total: total)
        }
    }

    /// - Throws: ``HTTPError`` 404 when there is no such author.
    func find(_ id: Int) throws -> Author {
        guard let author = try pool.query("SELECT id, name, bio FROM authors WHERE id = \(id)").decode(Author.self).first else {
            throw Self.notFound(id)
        }
        return author
    }

    /// Inserts an author and returns it with its id.
    func create(_ input: AuthorInput) throws -> Author {
        try pool.query(
            "INSERT INTO authors (name, bio) VALUES (\(input.name), \(input.bio)) RETURNING id, name, bio"
        ).decode(Author.self)[0]
    }

    /// Replaces an author's fields.
    /// - Throws: ``HTTPError`` 404 when there is no such author.
    func update(_ id: Int, _ input: AuthorInput) throws -> Author {
        guard let author = try pool.query(
            "UPDATE authors SET name = \(input.name), bio = \(input.bio) WHERE id = \(id) RETURNING id, name, bio"
        ).decode(Author.self).first else { throw Self.notFound(id) }
        return author
    }

    /// Deletes an author.
    /// - Throws: ``HTTPError`` 404 when there is no such author, 409 when they still have
    ///   books (the foreign key's SQLSTATE `23503`).
    func delete(_ id: Int) throws {
        do {
            guard try pool.execute("DELETE FROM authors WHERE id = \(id)") == 1 else { throw Self.notFound(id) }
        } catch let error as PostgresError where error.sqlState == PostgresError.SQLState.foreignKeyViolation {
            throw HTTPError(.conflict, "author \(id) still has books; delete them first")
        }
    }

    static func notFound(_ id: Int) -> HTTPError { HTTPError(.notFound, "no author with id \(id)") }
}
