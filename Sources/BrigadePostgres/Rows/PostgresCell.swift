/// One non-NULL value of a result, as a ``PostgresDecodable`` type receives it.
///
/// The bytes point into the result and are valid only during the `postgresDecode` call.
public struct PostgresCell {
    /// The value's bytes (binary format unless ``format`` says text).
    public let bytes: UnsafeRawBufferPointer
    /// The column's PostgreSQL type.
    public let type: PostgresDataType
    /// The wire format of ``bytes``.
    public let format: PostgresFormat

    /// Wraps raw bytes, for decoders of custom types and for tests.
    public init(bytes: UnsafeRawBufferPointer, type: PostgresDataType, format: PostgresFormat) {
        self.bytes = bytes
        self.type = type
        self.format = format
    }

    /// The bytes as UTF-8 text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Reads a big-endian integer that must fill the value exactly.
    /// - Throws: ``PostgresDecodingFailure`` when the length is not `T`'s size.
    public func bigEndianInteger<T: FixedWidthInteger>(_: T.Type) throws(PostgresDecodingFailure) -> T {
        guard bytes.count == MemoryLayout<T>.size else {
            throw PostgresDecodingFailure("expected \(MemoryLayout<T>.size) bytes, got \(bytes.count)")
        }
        return T(bigEndian: bytes.loadUnaligned(as: T.self))
    }

    /// A failure saying this cell's type cannot become `T`.
    public func mismatch<T>(_: T.Type) -> PostgresDecodingFailure {
        PostgresDecodingFailure("a \(type) value cannot be decoded as \(T.self)")
    }
}

/// Why a value could not be decoded; the row wraps it in a ``PostgresDecodingError`` that
/// names the column.
public struct PostgresDecodingFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong, without the value itself.
    public let reason: String
    /// Creates a failure.
    /// - Parameter reason: What went wrong; do not include the value (it may be sensitive).
    public init(_ reason: String) { self.reason = reason }
    /// The reason.
    public var description: String { reason }
    /// The failure for a NULL read into a non-optional type.
    public static func unexpectedNull<T>(_: T.Type) -> PostgresDecodingFailure {
        PostgresDecodingFailure("NULL cannot be decoded as non-optional \(T.self); decode \(T.self)? instead")
    }
}
