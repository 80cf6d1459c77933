import Brigade
import BrigadePostgres
import NIOCore

/// Books in and out as CSV, streamed through PostgreSQL's `COPY`: neither the upload nor the
/// table is ever held whole in memory.
///
/// The CSV's header row names the JSON fields: `title,isbn,authorId,publishedYear,price`.
extension BookRepository {
    /// The header row of an import and an export.
    static let csvHeader = "title,isbn,authorId,publishedYear,price"

    /// What `POST /books/import` answers.
    struct ImportResult: Codable, Sendable, Equatable {
        var imported: Int
    }

    /// Imports the CSV that `body` streams, in one transaction: every row or none.
    ///
    /// The header row is checked here, the rest goes to `COPY … FROM STDIN` as it arrives.
    /// The database's rules apply to each row (types, lengths, the unique ISBN, the author).
    /// - Returns: How many books were imported.
    /// - Throws: ``HTTPError`` 422 naming the line of the first bad row (the header is line 1),
    ///   or the header; `RequestBodyError` (413, 408) from the upload.
    func importCSV(from body: RequestBodyStream) throws -> Int {
        try pool.withConnection { connection in
            try connection.withTransaction { connection in
                do {
                    return try connection.copyIn("COPY books (title, isbn, author_id, published_year, price) FROM STDIN (FORMAT csv)") { copy in
                        var header = CSVHeaderCheck(expected: Self.csvHeader)
                        while var chunk = try body.read() {
                            if !header.isDone {
                                try header.consume(&chunk)
                                if !header.isDone { continue }
                            }
                            try chunk.withUnsafeReadableBytes { try copy.write($0) }
                        }
                        try header.finish()
                    }
                } catch let error as PostgresError {
                    throw Self.importError(error)
                }
            }
        }
    }

    /// Streams every book as CSV (header row first) to `write`, a row at a time.
    func exportCSV(_ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        try pool.withConnection { connection in
            _ = try connection.copyOut(
                """
                COPY (SELECT title, isbn, author_id AS "authorId", published_year AS "publishedYear", price
                      FROM books ORDER BY id) TO STDOUT (FORMAT csv, HEADER)
                """, write)
        }
    }

    /// A refused row as the API's answer: 422 naming its line in the uploaded file.
    private static func importError(_ error: PostgresError) -> any Error {
        if let line = error.copyLine {
            // COPY counts from the first data line; the file's line 1 is the header.
            return HTTPError(.unprocessableEntity, "line \(line + 1): \(error.message)",
                             invalidParameters: [.init(name: "line \(line + 1)", reason: error.detail ?? error.message)])
        }
        switch error.sqlState {
        case PostgresError.SQLState.foreignKeyViolation?:
            return HTTPError(.unprocessableEntity, "the file names an author that does not exist: \(error.detail ?? error.message)",
                             invalidParameters: [.init(name: "authorId", reason: error.detail ?? "no such author")])
        case let state? where state.hasPrefix("22") || state.hasPrefix("23"):
            return HTTPError(.unprocessableEntity, "the file holds an invalid book: \(error.message)")
        default:
            return error
        }
    }
}

/// Reads the header row off the front of an upload and checks it.
struct CSVHeaderCheck {
    let expected: String
    private var pending: [UInt8] = []
    private(set) var isDone = false
    /// The longest header line accepted.
    static let limit = 1024

    init(expected: String) {
        self.expected = expected
    }

    /// Takes header bytes from the front of `chunk`; once the header line is complete and
    /// right, `chunk` keeps what follows it.
    /// - Throws: ``HTTPError`` 422 when the header is not the expected one.
    mutating func consume(_ chunk: inout ByteBuffer) throws {
        let bytes = chunk.readableBytesView
        if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
            pending += bytes[bytes.startIndex..<newline]
            chunk.moveReaderIndex(forwardBy: newline - bytes.startIndex + 1)
            try check()
        } else {
            pending += bytes
            chunk.moveReaderIndex(to: chunk.writerIndex)
            if pending.count > Self.limit { try check() }
        }
    }

    /// The upload ended.
    /// - Throws: ``HTTPError`` 422 for an empty file or one without the header's end.
    mutating func finish() throws {
        if !isDone { try check() }
    }

    private mutating func check() throws {
        var line = String(decoding: pending, as: UTF8.self)
        if line.hasSuffix("\r") { line.removeLast() }
        guard line == expected else {
            throw HTTPError(.unprocessableEntity, "line 1: the header row must be \(expected)",
                            invalidParameters: [.init(name: "line 1", reason: "expected \(expected)")])
        }
        isDone = true
    }
}
