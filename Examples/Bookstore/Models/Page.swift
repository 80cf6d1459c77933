import Brigade

/// One page of a list: `{"items": […], "page": 1, "size": 20, "total": 42}`.
struct Page<Item: Codable & Sendable>: Codable, Sendable {
    var items: [Item]
    var page: Int
    var size: Int
    /// Every item of the list, across pages.
    var total: Int
}

/// `?page=&size=` of a list request, bounded: `page` ≥ 1 (default 1), `size` 1…100
/// (default 20); anything else answers `400` naming the parameter.
struct PageRequest: Sendable, Equatable {
    var page: Int
    var size: Int

    static let maxSize = 100
    static let maxPage = 1_000_000

    /// Rows to skip.
    var offset: Int { (page - 1) * size }

    /// Reads and checks the parameters.
    /// - Throws: ``HTTPError`` 400 with `invalid-params` for a missing number or a value out
    ///   of bounds.
    init(_ request: Request) throws {
        page = try request.query("page", default: 1)
        size = try request.query("size", default: 20)
        var problems: [HTTPError.InvalidParameter] = []
        if !(1...Self.maxPage).contains(page) { problems.append(.init(name: "page", reason: "must be between 1 and \(Self.maxPage)")) }
        if !(1...Self.maxSize).contains(size) { problems.append(.init(name: "size", reason: "must be between 1 and \(Self.maxSize)")) }
        if !problems.isEmpty {
            throw HTTPError(.badRequest, "invalid pagination parameters", invalidParameters: problems)
        }
    }
}
