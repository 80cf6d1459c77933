@testable import Bookstore
import Brigade
import BrigadePostgres
import BrigadeTesting
import NIOHTTP1
import Testing

extension BookstoreTests {
    @Suite("Long poll: GET /books/changes")
    struct LongPollTests {
        @Test func anInsertCompletesAWaitingPoll() async throws {
            try await withBookstore(["bookstore.long-poll-timeout": "20s"]) { client, bookstore in
                let author = try await client.createAuthor("Waiting")
                let old = try await client.createBook("Old", isbn: isbn13(1), authorId: author.id)
                async let poll = client.get("/books/changes?after=\(old.id)")
                // Armed: registered, and its first look found nothing newer; only NOTIFY answers now.
                await bookstore.changes.waiters.waitUntil { $0 == 1 }
                let new = try await client.createBook("New", isbn: isbn13(2), authorId: author.id)
                let response = try await poll
                #expect(response.status == .ok)
                #expect(try response.decode([Book].self) == [new])
            }
        }

        @Test func onePollCompletesEveryWaiterItConcerns() async throws {
            try await withBookstore(["bookstore.long-poll-timeout": "20s"]) { client, bookstore in
                let author = try await client.createAuthor("Fan-out")
                async let first = client.get("/books/changes?after=0")
                async let second = client.get("/books/changes?after=0")
                await bookstore.changes.waiters.waitUntil { $0 == 2 }
                let book = try await client.createBook("For both", isbn: isbn13(3), authorId: author.id)
                #expect(try await first.decode([Book].self) == [book])
                #expect(try await second.decode([Book].self) == [book])
                await bookstore.changes.waiters.waitUntil { $0 == 0 }
            }
        }

        @Test func theTimeoutAnswersAnEmptyListAndUnregisters() async throws {
            try await withBookstore(["bookstore.long-poll-timeout": "300ms"]) { client, bookstore in
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await client.get("/books/changes?after=0")
                #expect(response.status == .ok)
                #expect(response.text == "[]")
                #expect(clock.now - start >= .milliseconds(250))
                // onCompletion unregistered it: nothing leaks.
                await bookstore.changes.waiters.waitUntil { $0 == 0 }
            }
        }

        @Test func newerBooksAnswerAtOnce() async throws {
            try await withBookstore(["bookstore.long-poll-timeout": "20s"]) { client, bookstore in
                let author = try await client.createAuthor("Quick")
                let first = try await client.createBook("One", isbn: isbn13(4), authorId: author.id)
                let second = try await client.createBook("Two", isbn: isbn13(5), authorId: author.id)
                let third = try await client.createBook("Three", isbn: isbn13(6), authorId: author.id)
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await client.get("/books/changes?after=\(first.id)")
                #expect(clock.now - start < .seconds(5))
                #expect(try response.decode([Book].self) == [second, third])
                await bookstore.changes.waiters.waitUntil { $0 == 0 }
            }
        }

        @Test func booksAtOrBelowAfterDoNotCompleteThePoll() async throws {
            try await withBookstore(["bookstore.long-poll-timeout": "20s"]) { client, bookstore in
                let author = try await client.createAuthor("Patient")
                async let poll = client.get("/books/changes?after=1000")
                await bookstore.changes.waiters.waitUntil { $0 == 1 }
                // Ids 1…: the notification arrives but concerns no waiter above 1000.
                _ = try await client.createBook("Too old", isbn: isbn13(7), authorId: author.id)
                #expect(bookstore.changes.waiters.count == 1)
                bookstore.stopAcceptingChanges()  // answers the waiting poll with []
                #expect(try await poll.text == "[]")
            }
        }

        @Test func thePollsSurviveTheListenersConnectionBeingKilled() async throws {
            try await withBookstore(["bookstore.long-poll-timeout": "20s"]) { client, bookstore in
                let author = try await client.createAuthor("Resilient")
                async let poll = client.get("/books/changes?after=0")
                await bookstore.changes.waiters.waitUntil { $0 == 1 }
                // Ends the listener's backend (and waits until it is gone): the insert below is
                // either noticed by the new connection, or found by the check after reconnecting.
                let killed = try await bookstore.application.executors.run {
                    try bookstore.pool.query(
                        """
                        -- OFFSET 0: the database filter runs first, never the call on other tests' backends.
                        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM (
                            SELECT pid FROM pg_stat_activity
                            WHERE datname = current_database() AND query LIKE 'LISTEN%' OFFSET 0
                        ) AS listeners
                        """
                    ).first?.decode(Int.self, at: 0)
                }
                #expect(killed == 1)
                let book = try await client.createBook("After the cut", isbn: isbn13(8), authorId: author.id)
                #expect(try await poll.decode([Book].self) == [book])
                #expect(bookstore.listener.reconnections == 1)
            }
        }

        @Test(arguments: ["", "?after=", "?after=abc", "?after=-1"])
        func aMissingOrInvalidAfterIs400(query: String) async throws {
            try await withBookstore { client, bookstore in
                let response = try await client.get("/books/changes\(query)")
                #expect(response.status == .badRequest)
                #expect(try response.problem().fields == ["after"])
                #expect(bookstore.changes.waiters.count == 0)
            }
        }
    }
}
