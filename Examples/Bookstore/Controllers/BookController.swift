import Brigade
import Foundation

/// `/books`: list (paginated, optionally `?authorId=`), get, create, update, delete, and the
/// long poll `GET /books/changes?after=<id>`.
///
/// CRUD handlers return `Callable`s (the database work runs on the default back executor);
/// the long poll returns a `DeferredResult` that holds no thread while it waits.
final class BookController: Controller {
    private let books: BookRepository
    private let changes: BookChanges
    private let longPollTimeout: Duration

    private let importTimeout: Duration

    init(books: BookRepository, changes: BookChanges, longPollTimeout: Duration, importTimeout: Duration = .seconds(30 * 60)) {
        self.books = books
        self.changes = changes
        self.longPollTimeout = longPollTimeout
        self.importTimeout = importTimeout
    }

    func register(with routes: Routes) {
        routes.get("/books", list)
        routes.post("/books", create)
        routes.post("/books/import", body: .stream(maxSize: Self.importLimit), importCSV)
        routes.get("/books/export.csv", exportCSV)
        routes.get("/books/changes", changesAfter)
        routes.get("/books/{id}", get)
        routes.put("/books/{id}", update)
        routes.delete("/books/{id}", delete)
    }

    /// `GET /books?page=1&size=20&authorId=3` → a page of books; 400 for bounds.
    func list(_ request: Request) throws -> Callable<Page<Book>> {
        let page = try PageRequest(request)
        let authorId = try request.query("authorId", as: Int.self)
        let books = self.books
        return Callable { try books.list(page, authorId: authorId) }
    }

    /// `GET /books/{id}` → the book; 404.
    func get(_ request: Request) throws -> Callable<Book> {
        let id = try request.path("id", as: Int.self)
        let books = self.books
        return Callable { try books.find(id) }
    }

    /// `POST /books` → 201 with `Location`; 409 for a taken ISBN, 422 for invalid fields or
    /// an unknown author, 400, 415.
    func create(_ request: Request) throws -> Callable<ResponseEntity<Book>> {
        let input = try request.decode(BookInput.self).validated(currentYear: Self.currentYear)
        let books = self.books
        return Callable {
            let book = try books.create(input)
            return ResponseEntity(status: .created, headers: ["location": "/books/\(book.id)"], body: book)
        }
    }

    /// `PUT /books/{id}` with the full book → the book; 404, 409, 422, 400, 415.
    func update(_ request: Request) throws -> Callable<Book> {
        let id = try request.path("id", as: Int.self)
        let input = try request.decode(BookInput.self).validated(currentYear: Self.currentYear)
        let books = self.books
        return Callable { try books.update(id, input) }
    }

    /// `DELETE /books/{id}` → 204; 404.
    func delete(_ request: Request) throws -> Callable<Void> {
        let id = try request.path("id", as: Int.self)
        let books = self.books
        return Callable { try books.delete(id) }
    }

    /// `GET /books/changes?after=<id>` → the books with a higher id, as soon as there are
    /// any (at once if they exist, else when one is inserted through any instance), or `[]`
    /// after `bookstore.long-poll-timeout`. 400 when `after` is missing or negative.
    func changesAfter(_ request: Request) throws -> DeferredResult<[Book]> {
        let after = try request.requiredQuery("after", as: Int.self)
        guard after >= 0 else {
            throw HTTPError(.badRequest, "query parameter 'after' must not be negative",
                            invalidParameters: [.init(name: "after", reason: "must be 0 or more")])
        }
        return changes.poll(after: after, timeout: longPollTimeout)
    }

    /// The largest CSV upload accepted (bigger answers 413).
    static let importLimit = 4 << 30

    /// `POST /books/import` (`text/csv`, header row `title,isbn,authorId,publishedYear,price`)
    /// → `201 {"imported": n}`: the upload streamed into `COPY` on a back thread, in one
    /// transaction, within `bookstore.import-timeout` (a `WebAsyncTask`: a large file takes
    /// longer than `async.timeout`); `422` naming the line of a bad row (nothing imported);
    /// `415` for another content type; `413` past 4 GiB.
    func importCSV(_ request: Request) throws -> WebAsyncTask<ResponseEntity<BookRepository.ImportResult>> {
        guard request.header("content-type")?.lowercased().hasPrefix("text/csv") == true else {
            throw HTTPError(.unsupportedMediaType, "send the books as text/csv with the header row \(BookRepository.csvHeader)")
        }
        let (books, body) = (self.books, request.bodyStream)
        return WebAsyncTask(timeout: importTimeout) {
            ResponseEntity(status: .created, body: BookRepository.ImportResult(imported: try books.importCSV(from: body)))
        }
    }

    /// `GET /books/export.csv` → every book as CSV (the import's header row first), read with
    /// `COPY … TO STDOUT` and streamed to the client a row at a time on a back thread.
    func exportCSV(_ request: Request) -> StreamingResponseBody {
        let books = self.books
        return StreamingResponseBody(contentType: "text/csv; charset=utf-8") { writer in
            try books.exportCSV { try writer.write(bytes: $0) }
        }
    }

    private static var currentYear: Int { Calendar(identifier: .gregorian).component(.year, from: Date()) }
}
