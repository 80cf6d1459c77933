/// One row of a ``PostgresRows`` result.
///
/// Values are decoded by column name, by position, as a tuple, or into a `Decodable` type;
/// a value that does not fit (NULL into a non-optional, text into `Int`) throws a
/// ``PostgresDecodingError`` naming the column and both types.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    let index: Int

    /// The row's columns.
    public var columns: [PostgresColumn] { rows.columns }

    /// Decodes the value of the column named `column`.
    /// - Parameters:
    ///   - type: The Swift type; an `Optional` accepts NULL.
    ///   - column: The column's name.
    /// - Returns: The decoded value.
    /// - Throws: ``PostgresDecodingError`` when there is no such column or the value doesn't fit.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, column: String) throws -> T {
        guard let position = rows.columnIndex(named: column) else {
            throw PostgresDecodingError(
                column: column, columnIndex: -1, postgresType: .unspecified, swiftType: "\(T.self)",
                reason: "no such column; the result has \(rows.columns.map(\.name))")
        }
        return try decode(T.self, at: position)
    }

    /// Decodes the value at a 0-based column position.
    /// - Parameters:
    ///   - type: The Swift type; an `Optional` accepts NULL.
    ///   - position: The column's position.
    /// - Returns: The decoded value.
    /// - Throws: ``PostgresDecodingError`` when the position is out of range or the value doesn't fit.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at position: Int) throws -> T {
        guard position >= 0, position < rows.columns.count, let result = rows.result else {
            throw PostgresDecodingError(
                column: "#\(position)", columnIndex: position, postgresType: .unspecified, swiftType: "\(T.self)",
                reason: "the result has \(rows.columns.count) columns")
        }
        let column = rows.columns[position]
        do {
            if result.isNull(row: index, column: position) { return try T.postgresDecodeNull() }
            let cell = PostgresCell(bytes: result.bytes(row: index, column: position), type: column.type, format: column.format)
            return try T.postgresDecode(cell)
        } catch let failure as PostgresDecodingFailure {
            throw PostgresDecodingError(
                column: column.name, columnIndex: position, postgresType: column.type, swiftType: "\(T.self)",
                reason: failure.reason)
        } catch let error as PostgresDecodingError {
            throw error
        } catch {
            throw PostgresDecodingError(
                column: column.name, columnIndex: position, postgresType: column.type, swiftType: "\(T.self)",
                reason: "\(error)")
        }
    }

    /// Decodes the whole row as a tuple, one element per column in order.
    ///
    /// ```swift
    /// let (id, name, email) = try row.decode((Int, String, String?).self)
    /// ```
    /// - Parameter types: The tuple type; its arity must equal the number of columns.
    /// - Returns: The decoded tuple.
    /// - Throws: ``PostgresDecodingError`` for an arity mismatch or a value that doesn't fit.
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        var arity = 0
        for _ in repeat (each T).self { arity += 1 }
        guard arity == rows.columns.count else {
            throw PostgresDecodingError(
                column: "*", columnIndex: -1, postgresType: .unspecified, swiftType: "\(types)",
                reason: "a tuple of \(arity) elements cannot hold a row of \(rows.columns.count) columns")
        }
        var position = 0
        func next<U: PostgresDecodable>(_: U.Type) throws -> U {
            defer { position += 1 }
            return try decode(U.self, at: position)
        }
        return (repeat try next((each T).self))
    }

    /// Decodes the row into a `Decodable` type, matching coding keys to column names (exact,
    /// then snake_case: `createdAt` reads `created_at`). Properties of ``PostgresDecodable``
    /// types decode as such; other nested `Decodable` properties decode from `json`/`jsonb`.
    /// - Parameter type: The type to decode.
    /// - Returns: The decoded value.
    /// - Throws: ``PostgresDecodingError`` naming the column that does not fit, or a missing one.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        try T(from: PostgresRowDecoder(row: self))
    }

    /// Whether the value at `position` is NULL.
    public func isNull(at position: Int) -> Bool {
        guard position >= 0, position < rows.columns.count, let result = rows.result else { return true }
        return result.isNull(row: index, column: position)
    }
}
