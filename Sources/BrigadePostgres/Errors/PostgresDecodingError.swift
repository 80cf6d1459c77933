/// A value of a result could not be decoded as the Swift type asked for.
///
/// Names the column (by name and position), its PostgreSQL type and the Swift type; never the
/// value itself.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    /// The column's name.
    public let column: String
    /// The column's 0-based position.
    public let columnIndex: Int
    /// The column's PostgreSQL type.
    public let postgresType: PostgresDataType
    /// The Swift type asked for.
    public let swiftType: String
    /// What went wrong.
    public let reason: String

    init(column: String, columnIndex: Int, postgresType: PostgresDataType, swiftType: String, reason: String) {
        self.column = column
        self.columnIndex = columnIndex
        self.postgresType = postgresType
        self.swiftType = swiftType
        self.reason = reason
    }

    /// `cannot decode column "id" (#0, integer) as String: …`
    public var description: String {
        "cannot decode column \"\(column)\" (#\(columnIndex), \(postgresType)) as \(swiftType): \(reason)"
    }
}
