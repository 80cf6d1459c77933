/// A Swift type that a result value can be decoded into.
///
/// Conformances ship for the same types as ``PostgresBindable`` and for `Optional` of any of
/// them (NULL becomes `nil`; NULL into a non-optional type is a ``PostgresDecodingError``).
public protocol PostgresDecodable {
    /// Decodes a non-NULL value.
    /// - Parameter cell: The value's bytes and type.
    /// - Throws: ``PostgresDecodingFailure`` (or any error) when the type or bytes don't fit.
    static func postgresDecode(_ cell: PostgresCell) throws -> Self
    /// The value for SQL NULL. The default throws; `Optional` returns `nil`.
    static func postgresDecodeNull() throws -> Self
}

extension PostgresDecodable {
    /// Throws: NULL is not a value of a non-optional type.
    public static func postgresDecodeNull() throws -> Self { throw PostgresDecodingFailure.unexpectedNull(Self.self) }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// Decodes the wrapped type.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Wrapped? { try Wrapped.postgresDecode(cell) }
    /// `nil`.
    public static func postgresDecodeNull() -> Wrapped? { nil }
}

extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    /// The wrapped type's.
    public static var postgresType: PostgresDataType { Wrapped.postgresType }
    /// The wrapped type's.
    public static var postgresFormat: PostgresFormat { Wrapped.postgresFormat }
    /// Encodes the wrapped value; `nil` is turned into NULL before this is called.
    public func postgresEncode(into buffer: inout [UInt8]) throws {
        if let self { try self.postgresEncode(into: &buffer) }
    }
}

/// Lets the bindings tell an `Optional.none` parameter from a value.
protocol PostgresOptionalMarker {
    var isNone: Bool { get }
}

extension Optional: PostgresOptionalMarker {
    var isNone: Bool { self == nil }
}
