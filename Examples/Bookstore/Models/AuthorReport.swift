/// One line of the authors report.
struct AuthorReport: Codable, Sendable, Equatable {
    var authorId: Int
    var name: String
    var bookCount: Int
    /// `nil` when none of their books has a price.
    var averagePrice: Double?
    var firstPublished: Int?
    var lastPublished: Int?
}

/// The body of `GET /reports/authors`.
struct AuthorsReport: Codable, Sendable {
    var authors: [AuthorReport]
    /// The thread that computed it (`back:reports-1`), to show the bulkhead at work.
    var computedOn: String
}
