/// The complete result of one statement: its columns, its rows and its command tag.
///
/// Rows are read into memory by libpq before the statement returns, so a `PostgresRows` does
/// not hold its connection: it can be kept after the connection went back to the pool, and
/// read from any thread.
///
/// ```swift
/// for row in try connection.query("SELECT id, name FROM users") {
///     let (id, name) = try row.decode((Int, String).self)
/// }
/// let users = try connection.query("SELECT * FROM users").decode(User.self)
/// ```
public struct PostgresRows: RandomAccessCollection, Sendable {
    let result: LibPQResult?
    /// The result's columns, in order.
    public let columns: [PostgresColumn]

    init(result: LibPQResult) {
        self.result = result
        let count = result.columnCount
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(count)
        for index in 0..<count {
            columns.append(PostgresColumn(
                name: result.columnName(index),
                type: PostgresDataType(result.columnType(index)),
                format: result.columnFormat(index) == 0 ? .text : .binary))
        }
        self.columns = columns
        self.endIndex = result.rowCount
    }

    /// The rows of `result`, whose columns are known already (single-row mode: the same for
    /// every row of a statement — described once, not once per row).
    init(result: LibPQResult, columns: [PostgresColumn]) {
        self.result = result
        self.columns = columns
        self.endIndex = result.rowCount
    }

    /// An empty result (no columns, no rows).
    init() {
        result = nil
        columns = []
        endIndex = 0
    }

    /// 0
    public var startIndex: Int { 0 }
    /// The number of rows.
    public let endIndex: Int

    /// The row at `position`.
    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < endIndex, "row index \(position) out of range 0..<\(endIndex)")
        return PostgresRow(rows: self, index: position)
    }

    /// The number of rows the statement changed (`INSERT`, `UPDATE`, `DELETE`, …), or returned.
    public var affectedRows: Int { result?.affectedRows ?? 0 }

    /// The command tag (`SELECT 3`, `INSERT 0 1`).
    public var commandTag: String { result?.commandTag ?? "" }

    /// Decodes every row into a `Decodable` type, matching properties to columns by name
    /// (exact, then snake_case: `createdAt` reads `created_at`).
    /// - Throws: ``PostgresDecodingError`` naming the first column that does not fit.
    public func decode<T: Decodable>(_ type: T.Type) throws -> [T] {
        try map { try $0.decode(as: T.self) }
    }

    /// The position of the column named `name`, if there is one.
    func columnIndex(named name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}

/// A column of a result.
public struct PostgresColumn: Sendable, Hashable {
    /// The column's name (or alias).
    public let name: String
    /// The column's PostgreSQL type.
    public let type: PostgresDataType
    /// The values' wire format.
    public let format: PostgresFormat
}
