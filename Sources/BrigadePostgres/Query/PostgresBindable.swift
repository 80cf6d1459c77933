/// A Swift value that can be sent as a query parameter (`$1`, `$2`, …).
///
/// Conformances ship for `Int`, `Int64`, `Int32`, `Int16`, `Double`, `Float`, `Bool`,
/// `String`, `Date` (as `timestamptz`), `UUID`, `[UInt8]` and `Data` (as `bytea`), `Decimal`
/// (as `numeric`), ``PostgresJSONB`` and any ``PostgresJSONCodable`` type (as `jsonb`).
/// `nil` is sent as SQL `NULL`.
///
/// To add a type, say which PostgreSQL type and format it is sent as and append its bytes:
/// ```swift
/// extension Money: PostgresBindable {
///     static var postgresType: PostgresDataType { .int8 }
///     static var postgresFormat: PostgresFormat { .binary }
///     func postgresEncode(into buffer: inout [UInt8]) throws { cents.postgresEncode(into: &buffer) }
/// }
/// ```
public protocol PostgresBindable {
    /// The PostgreSQL type the value is sent as; ``PostgresDataType/unspecified`` lets the
    /// server infer it from the statement.
    static var postgresType: PostgresDataType { get }
    /// Whether ``postgresEncode(into:)`` writes the text or the binary representation.
    static var postgresFormat: PostgresFormat { get }
    /// Appends the value's representation (without a length prefix or terminator).
    /// - Parameter buffer: The bytes of the query's parameters so far.
    /// - Throws: When the value cannot be represented (an encoding failure of a JSON value).
    func postgresEncode(into buffer: inout [UInt8]) throws
}

extension FixedWidthInteger {
    @inline(__always)
    func appendBigEndian(to buffer: inout [UInt8]) {
        withUnsafeBytes(of: self.bigEndian) { buffer.append(contentsOf: $0) }
    }
}
