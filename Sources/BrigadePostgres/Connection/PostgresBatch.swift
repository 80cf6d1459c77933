/// Independent statements sent together with ``PostgresConnection/execute(_:pipelined:deadline:)``.
///
/// In pipeline mode all statements go to the server in one write and their results come back
/// in one read: N statements cost one round trip.
/// ```swift
/// var batch = PostgresBatch()
/// for id in ids { batch.append("SELECT id, random_number FROM world WHERE id = \(id)") }
/// let results = try connection.execute(batch)   // [PostgresRows], in order
/// ```
public struct PostgresBatch: Sendable {
    struct Entry: Sendable {
        let sql: String
        let bindings: PostgresBindings
    }

    private(set) var entries: [Entry] = []
    private var failure: PostgresError?

    /// Creates an empty batch.
    public init() {}

    /// The number of statements.
    public var count: Int { entries.count }

    /// Adds a statement.
    /// - Parameters:
    ///   - query: The statement; interpolated values are bound as parameters.
    ///   - parameters: Values for `$1`, `$2`, … when the query has no interpolated values.
    public mutating func append(_ query: PostgresQuery, _ parameters: [(any PostgresBindable)?] = []) {
        do {
            entries.append(Entry(sql: query.sql, bindings: try PostgresConnection.bindings(for: query, parameters)))
        } catch let error as PostgresError {
            failure = failure ?? error
        } catch {
            failure = failure ?? PostgresError.encoding("\(error)")
        }
    }

    /// Throws the first error met while appending (an unencodable parameter).
    func validate() throws(PostgresError) {
        if let failure { throw failure }
    }
}
