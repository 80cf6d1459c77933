import Brigade
import BrigadePostgres

/// Books in PostgreSQL. Every method blocks on the database: call it from a back-tier
/// thread (inside a `Callable` or `WebAsyncTask`), never from a handler directly.
///
/// Constraint violations become HTTP answers from their SQLSTATE, with no pre-check (which
/// would race with concurrent writers): `23505` on the ISBN is `409`, `23503` on the author
/// is `422`.
struct BookRepository: Sendable {
    let pool: PostgresPool

    /// One page of books, by id, optionally of one author.
    func list(_ page: PageRequest, authorId: Int?) throws -> Page<Book> {
        try pool.withConnection { connection in
            let total = try connection.query(
                "SELECT count(*) FROM books WHERE (\(authorId)::int8 IS NULL OR author_id = \(authorId))"
            ).first?.decode(Int.self, at: 0) ?? 0
            let items = try connection.query(
                """
                SELECT id, title, isbn, author_id, published_year, price::float8 AS price FROM books
                WHERE (\(authorId)::int8 IS NULL OR author_id = \(authorId))
                ORDER BY id LIMIT \(page.size) OFFSET \(page.offset)
                """
            ).decode(Book.self)
            return Page(items: items, page: page.page, size: page.size, total: total)
        }
    }

    /// - Throws: ``HTTPError`` 404 when there is no such book.
    func find(_ id: Int) throws -> Book {
        guard let book = try pool.query(
            "SELECT id, title, isbn, author_id, published_year, price::float8 AS price FROM books WHERE id = \(id)"
        ).decode(Book.self).first else { throw Self.notFound(id) }
        return book
    }

    /// The books with an id above `id`, oldest first, at most `limit`.
    func books(after id: Int, limit: Int = 100) throws -> [Book] {
        try pool.query(
            """
            SELECT id, title, isbn, author_id, published_year, price::float8 AS price FROM books
            WHERE id > \(id) ORDER BY id LIMIT \(limit)
            """
        ).decode(Book.self)
    }

    /// Inserts a book (the insert trigger notifies `book_changes`).
    /// - Throws: ``HTTPError`` 409 for a duplicate ISBN, 422 for an unknown author.
    func create(_ input: BookInput) throws -> Book {
        try translatingConstraints(input) {
            try pool.query(
                """
                INSERT INTO books (title, isbn, author_id, published_year, price)
                VALUES (\(input.title), \(input.isbn), \(input.authorId), \(input.publishedYear)::int4, \(input.price)::numeric(10, 2))
                RETURNING id, title, isbn, author_id, published_year, price::float8 AS price
                """
            ).decode(Book.self)[0]
        }
    }

    /// Replaces a book's fields.
    /// - Throws: ``HTTPError`` 404, 409 (duplicate ISBN), 422 (unknown author).
    func update(_ id: Int, _ input: BookInput) throws -> Book {
        let updated = try translatingConstraints(input) {
            try pool.query(
                """
                UPDATE books SET title = \(input.title), isbn = \(input.isbn), author_id = \(input.authorId),
                    published_year = \(input.publishedYear)::int4, price = \(input.price)::numeric(10, 2)
                WHERE id = \(id)
                RETURNING id, title, isbn, author_id, published_year, price::float8 AS price
                """
            ).decode(Book.self).first
        }
        guard let updated else { throw Self.notFound(id) }
        return updated
    }

    /// Deletes a book.
    /// - Throws: ``HTTPError`` 404 when there is no such book.
    func delete(_ id: Int) throws {
        guard try pool.execute("DELETE FROM books WHERE id = \(id)") == 1 else { throw Self.notFound(id) }
    }

    static func notFound(_ id: Int) -> HTTPError { HTTPError(.notFound, "no book with id \(id)") }

    /// Turns the unique and foreign-key violations of a write into their HTTP answers.
    private func translatingConstraints<T>(_ input: BookInput, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.sqlState == PostgresError.SQLState.uniqueViolation {
            guard error.constraint == "books_isbn_key" else { throw HTTPError(.conflict, "the book conflicts with another one") }
            throw HTTPError(
                .conflict, "a book with ISBN \(input.isbn) already exists",
                invalidParameters: [.init(name: "isbn", reason: "is already taken")])
        } catch let error as PostgresError where error.sqlState == PostgresError.SQLState.foreignKeyViolation {
            throw HTTPError(
                .unprocessableEntity, "the book is invalid",
                invalidParameters: [.init(name: "authorId", reason: "no author with id \(input.authorId)")])
        }
    }
}
