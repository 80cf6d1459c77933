/// The statements one connection has prepared, by SQL text and parameter types, with
/// least-recently-used eviction.
struct StatementCache {
    struct Key: Hashable {
        let sql: String
        let types: [UInt32]
    }

    private struct Entry {
        let name: String
        var lastUse: UInt64
    }

    let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var clock: UInt64 = 0
    private var nextNumber = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { entries.count }

    /// The statement's name if it is prepared, marking it used.
    mutating func lookup(_ key: Key) -> String? {
        guard entries[key] != nil else { return nil }
        clock &+= 1
        entries[key]?.lastUse = clock
        return entries[key]?.name
    }

    /// A fresh statement name.
    mutating func makeName() -> String {
        nextNumber += 1
        return "brigade_s\(nextNumber)"
    }

    /// Records a prepared statement; returns the name of one evicted to make room, which the
    /// caller must `DEALLOCATE`.
    mutating func insert(_ key: Key, name: String) -> String? {
        var evicted: String?
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[oldest.key] = nil
            evicted = oldest.value.name
        }
        clock &+= 1
        entries[key] = Entry(name: name, lastUse: clock)
        return evicted
    }

    mutating func remove(_ key: Key) { entries[key] = nil }
    mutating func removeAll() { entries.removeAll() }
}
