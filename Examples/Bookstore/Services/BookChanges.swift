import Brigade
import BrigadePostgres

/// The long polls of `GET /books/changes?after=<id>`, completed from any instance.
///
/// Each poll waits in a ``WaiterRegistry`` under its `after` id. The `books` insert trigger
/// notifies `book_changes` with the new book's id; every instance's `PostgresListener` hands
/// that to ``bookAdded(payload:)``, which reads the newer books for the keys it concerns — on a
/// back executor, never on the listener's threads or a front thread — and completes them.
/// After the listener replaced a lost connection, ``recheckAll()`` looks again for every key:
/// a book added meanwhile sent a notification nobody heard.
final class BookChanges: Sendable {
    /// The channel the `books` insert trigger notifies (payload: the new book's id).
    static let channel = "book_changes"
    /// The most books one answer carries (the client asks again with the last id).
    static let batchLimit = 100

    /// The waiting polls, by `after`; `[]` when their timeout passes (or shutdown begins).
    let waiters = WaiterRegistry<Int, [Book]>(timeoutResult: [])
    private let books: BookRepository
    private let readers: BackExecutor
    private let logger: Logger

    /// - Parameters:
    ///   - books: Where the newer books are read.
    ///   - readers: The back executor the reads run on.
    init(books: BookRepository, readers: BackExecutor, logger: Logger) {
        self.books = books
        self.readers = readers
        self.logger = logger
    }

    /// Subscribes to `book_changes` on `listener`: the few lines that join the data half
    /// (the listener) to the web half (the waiters).
    func follow(_ listener: PostgresListener) throws {
        try listener.listen(Self.channel) { [self] notification in
            bookAdded(payload: notification.payload)
        } onMissed: { [self] in
            recheckAll()
        }
    }

    /// A long poll for books with an id above `after`: registered first, then the table is
    /// looked at on a back thread — newer books answer at once, else the next notification
    /// does, or `[]` at `timeout`. Runs on the handler's front thread and does not block.
    func poll(after: Int, timeout: Duration) -> DeferredResult<[Book]> {
        let result = waiters.wait(for: after, timeout: timeout)
        guard !result.isSetOrExpired else { return result }  // refused: too many waiting
        let (books, logger) = (self.books, self.logger)
        // Takes the request's WorkContext: its deadline applies, and the read is cancelled
        // when the request ends first.
        readers.submit { try books.books(after: after, limit: Self.batchLimit) }.whenComplete { outcome in
            switch outcome {
            case .success(let newer) where newer.isEmpty:
                logger.debug("long poll armed", metadata: ["after": "\(after)"])
            case .success(let newer):
                result.setResult(newer)
            case .failure(let error):
                result.setErrorResult(error)
            }
        }
        return result
    }

    /// A notification: the book with id `payload` was added.
    func bookAdded(payload: String) {
        guard let id = Int(payload) else {
            logger.warning("ignoring a book_changes notification without a book id", metadata: ["payload": "\(payload)"])
            return
        }
        recheck(waiters.keys.filter { $0 < id })
    }

    /// Notifications may have been missed: every waiting poll looks at the table again.
    func recheckAll() {
        recheck(waiters.keys)
    }

    /// Reads the newer books once per key, on a back thread, and completes the keys that have some.
    private func recheck(_ keys: [Int]) {
        guard !keys.isEmpty else { return }
        let (books, waiters, logger) = (self.books, self.waiters, self.logger)
        do {
            try readers.launch {
                for after in keys.sorted() {
                    do {
                        let newer = try books.books(after: after, limit: Self.batchLimit)
                        if !newer.isEmpty { waiters.complete(after, with: newer) }
                    } catch {
                        // The polls keep waiting: the next notification or their timeout answers.
                        logger.warning("could not read new books for waiting polls", metadata: ["error": "\(error)"])
                    }
                }
            }
        } catch {
            logger.warning("could not schedule the read of new books", metadata: ["error": "\(error)"])
        }
    }
}
