import Testing

/// Every Bookstore suite, one test at a time: the suites share the test process's embedded
/// PostgreSQL (and its `max_connections`) with the other test targets, and each test starts
/// a whole app — pool, listener thread, front and back pools — so running them side by side
/// buys little on two cores and risks the connection limit.
@Suite(.serialized)
enum BookstoreTests {}
