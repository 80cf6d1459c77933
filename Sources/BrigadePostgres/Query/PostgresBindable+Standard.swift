import Foundation

extension Int: PostgresBindable {
    /// `bigint`
    public static var postgresType: PostgresDataType { .int8 }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the 8-byte big-endian value.
    public func postgresEncode(into buffer: inout [UInt8]) { Int64(self).appendBigEndian(to: &buffer) }
}

extension Int64: PostgresBindable {
    /// `bigint`
    public static var postgresType: PostgresDataType { .int8 }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the 8-byte big-endian value.
    public func postgresEncode(into buffer: inout [UInt8]) { appendBigEndian(to: &buffer) }
}

extension Int32: PostgresBindable {
    /// `integer`
    public static var postgresType: PostgresDataType { .int4 }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the 4-byte big-endian value.
    public func postgresEncode(into buffer: inout [UInt8]) { appendBigEndian(to: &buffer) }
}

extension Int16: PostgresBindable {
    /// `smallint`
    public static var postgresType: PostgresDataType { .int2 }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the 2-byte big-endian value.
    public func postgresEncode(into buffer: inout [UInt8]) { appendBigEndian(to: &buffer) }
}

extension Double: PostgresBindable {
    /// `double precision`
    public static var postgresType: PostgresDataType { .float8 }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the IEEE 754 bits, big-endian.
    public func postgresEncode(into buffer: inout [UInt8]) { bitPattern.appendBigEndian(to: &buffer) }
}

extension Float: PostgresBindable {
    /// `real`
    public static var postgresType: PostgresDataType { .float4 }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the IEEE 754 bits, big-endian.
    public func postgresEncode(into buffer: inout [UInt8]) { bitPattern.appendBigEndian(to: &buffer) }
}

extension Bool: PostgresBindable {
    /// `boolean`
    public static var postgresType: PostgresDataType { .bool }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends one byte, 1 or 0.
    public func postgresEncode(into buffer: inout [UInt8]) { buffer.append(self ? 1 : 0) }
}

extension String: PostgresBindable {
    /// Unspecified: the server infers `text`, `varchar`, `jsonb`, an enum… from the statement.
    public static var postgresType: PostgresDataType { .unspecified }
    /// Text.
    public static var postgresFormat: PostgresFormat { .text }
    /// Appends the UTF-8 bytes.
    public func postgresEncode(into buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

extension Substring: PostgresBindable {
    /// Unspecified, as for `String`.
    public static var postgresType: PostgresDataType { .unspecified }
    /// Text.
    public static var postgresFormat: PostgresFormat { .text }
    /// Appends the UTF-8 bytes.
    public func postgresEncode(into buffer: inout [UInt8]) { buffer.append(contentsOf: utf8) }
}

/// Seconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 (UTC).
let postgresEpochOffset: Double = 946_684_800

extension Date: PostgresBindable {
    /// `timestamp with time zone`
    public static var postgresType: PostgresDataType { .timestamptz }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends microseconds since 2000-01-01 UTC, as PostgreSQL stores them.
    public func postgresEncode(into buffer: inout [UInt8]) {
        let micros = ((timeIntervalSince1970 - postgresEpochOffset) * 1_000_000).rounded()
        Int64(micros).appendBigEndian(to: &buffer)
    }
}

extension UUID: PostgresBindable {
    /// `uuid`
    public static var postgresType: PostgresDataType { .uuid }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the 16 bytes.
    public func postgresEncode(into buffer: inout [UInt8]) {
        withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) }
    }
}

extension Array: PostgresBindable where Element == UInt8 {
    /// `bytea`
    public static var postgresType: PostgresDataType { .bytea }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the bytes as they are.
    public func postgresEncode(into buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension Data: PostgresBindable {
    /// `bytea`
    public static var postgresType: PostgresDataType { .bytea }
    /// Binary.
    public static var postgresFormat: PostgresFormat { .binary }
    /// Appends the bytes as they are.
    public func postgresEncode(into buffer: inout [UInt8]) { buffer.append(contentsOf: self) }
}

extension Decimal: PostgresBindable {
    /// `numeric`
    public static var postgresType: PostgresDataType { .numeric }
    /// Text: `numeric`'s exact decimal form.
    public static var postgresFormat: PostgresFormat { .text }
    /// Appends the decimal digits (`NaN` for not-a-number).
    public func postgresEncode(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: (isNaN ? "NaN" : description).utf8)
    }
}
