/// A book, as stored and as sent:
/// `{"id": 1, "title": "…", "isbn": "9780132350884", "authorId": 1, "publishedYear": 2008, "price": 37.5}`
/// (`publishedYear` and `price` optional).
struct Book: Codable, Sendable, Equatable {
    var id: Int
    var title: String
    var isbn: String
    var authorId: Int
    var publishedYear: Int?
    var price: Double?
}

/// The body of `POST /books` and `PUT /books/{id}`.
struct BookInput: Codable, Sendable {
    var title: String
    var isbn: String
    var authorId: Int
    var publishedYear: Int?
    var price: Double?

    /// The input normalised (title trimmed, ISBN without hyphens or spaces), or `422` naming
    /// every invalid field.
    /// - Parameter currentYear: The latest acceptable `publishedYear` is the next one.
    /// - Throws: ``HTTPError`` 422 with `invalid-params`.
    func validated(currentYear: Int) throws -> BookInput {
        var problems = Validation()
        let title = title.trimmed
        problems.check(!title.isEmpty, "title", "must not be empty")
        problems.check(title.count <= 300, "title", "must be at most 300 characters")
        let isbn = ISBN.normalize(isbn)
        problems.check(ISBN.isValid(isbn), "isbn", "must be a valid ISBN-10 or ISBN-13 (check digit included)")
        problems.check(authorId > 0, "authorId", "must be a positive author id")
        if let publishedYear {
            problems.check((1...(currentYear + 1)).contains(publishedYear), "publishedYear", "must be between 1 and \(currentYear + 1)")
        }
        if let price {
            problems.check(price.isFinite && price >= 0 && price <= 100_000, "price", "must be between 0 and 100000")
        }
        try problems.throwIfAny("the book is invalid")
        return BookInput(title: title, isbn: isbn, authorId: authorId, publishedYear: publishedYear, price: price)
    }
}
