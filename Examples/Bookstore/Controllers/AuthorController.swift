import Brigade

/// `/authors`: list (paginated), get, create, update, delete.
///
/// Handlers run on front threads and only read the request; each returns a `Callable`, so
/// the database work runs on the default back executor and the front thread is free at once.
final class AuthorController: Controller {
    private let authors: AuthorRepository

    init(authors: AuthorRepository) {
        self.authors = authors
    }

    func register(with routes: Routes) {
        routes.get("/authors", list)
        routes.post("/authors", create)
        routes.get("/authors/{id}", get)
        routes.put("/authors/{id}", update)
        routes.delete("/authors/{id}", delete)
    }

    /// `GET /authors?page=1&size=20` → a page of authors; 400 for bounds.
    func list(_ request: Request) throws -> Callable<Page<Author>> {
        let page = try PageRequest(request)
        let authors = self.authors
        return Callable { try authors.list(page) }
    }

    /// `GET /authors/{id}` → the author; 404.
    func get(_ request: Request) throws -> Callable<Author> {
        let id = try request.path("id", as: Int.self)
        let authors = self.authors
        return Callable { try authors.find(id) }
    }

    /// `POST /authors` `{"name": …, "bio": …}` → 201 with `Location`; 400, 415, 422.
    func create(_ request: Request) throws -> Callable<ResponseEntity<Author>> {
        let input = try request.decode(AuthorInput.self).validated()
        let authors = self.authors
        return Callable {
            let author = try authors.create(input)
            return ResponseEntity(status: .created, headers: ["location": "/authors/\(author.id)"], body: author)
        }
    }

    /// `PUT /authors/{id}` with the full author → the author; 404, 400, 415, 422.
    func update(_ request: Request) throws -> Callable<Author> {
        let id = try request.path("id", as: Int.self)
        let input = try request.decode(AuthorInput.self).validated()
        let authors = self.authors
        return Callable { try authors.update(id, input) }
    }

    /// `DELETE /authors/{id}` → 204; 404, 409 while they have books.
    func delete(_ request: Request) throws -> Callable<Void> {
        let id = try request.path("id", as: Int.self)
        let authors = self.authors
        return Callable { try authors.delete(id) }
    }
}
