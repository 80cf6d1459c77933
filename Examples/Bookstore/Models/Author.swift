/// An author, as stored and as sent: `{"id": 1, "name": "…", "bio": "…"}` (`bio` optional).
struct Author: Codable, Sendable, Equatable {
    var id: Int
    var name: String
    var bio: String?
}

/// The body of `POST /authors` and `PUT /authors/{id}`.
struct AuthorInput: Codable, Sendable {
    var name: String
    var bio: String?

    /// The input with surrounding whitespace removed, or `422` naming every invalid field.
    /// - Throws: ``HTTPError`` 422 with `invalid-params`.
    func validated() throws -> AuthorInput {
        var problems = Validation()
        let name = name.trimmed
        let bio = bio?.trimmed
        problems.check(!name.isEmpty, "name", "must not be empty")
        problems.check(name.count <= 200, "name", "must be at most 200 characters")
        if let bio { problems.check(bio.count <= 2000, "bio", "must be at most 2000 characters") }
        try problems.throwIfAny("the author is invalid")
        return AuthorInput(name: name, bio: bio?.isEmpty == true ? nil : bio)
    }
}
