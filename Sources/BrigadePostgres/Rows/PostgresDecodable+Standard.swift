import Foundation

extension PostgresCell {
    /// Any integer column (`smallint`, `integer`, `bigint`), checked against `T`'s range.
    func integer<T: FixedWidthInteger>(_: T.Type) throws(PostgresDecodingFailure) -> T {
        let wide: Int64
        if format == .text {
            guard type == .int2 || type == .int4 || type == .int8 || type == .oidType, let parsed = Int64(text) else {
                throw mismatch(T.self)
            }
            wide = parsed
        } else {
            switch type {
            case .int2: wide = Int64(try bigEndianInteger(Int16.self))
            case .int4: wide = Int64(try bigEndianInteger(Int32.self))
            case .int8: wide = try bigEndianInteger(Int64.self)
            case .oidType: wide = Int64(try bigEndianInteger(UInt32.self))
            default: throw mismatch(T.self)
            }
        }
        guard let value = T(exactly: wide) else {
            throw PostgresDecodingFailure("a \(type) value does not fit in \(T.self)")
        }
        return value
    }
}

extension Int: PostgresDecodable {
    /// From `smallint`, `integer` or `bigint`.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Int { try cell.integer(Int.self) }
}

extension Int64: PostgresDecodable {
    /// From `smallint`, `integer` or `bigint`.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Int64 { try cell.integer(Int64.self) }
}

extension Int32: PostgresDecodable {
    /// From `smallint`, `integer`, or a `bigint` that fits.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Int32 { try cell.integer(Int32.self) }
}

extension Int16: PostgresDecodable {
    /// From `smallint`, or an `integer`/`bigint` that fits.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Int16 { try cell.integer(Int16.self) }
}

extension Double: PostgresDecodable {
    /// From `double precision` or `real`.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Double {
        if cell.format == .text, cell.type == .float8 || cell.type == .float4, let value = Double(cell.text) { return value }
        switch cell.type {
        case .float8: return Double(bitPattern: try cell.bigEndianInteger(UInt64.self))
        case .float4: return Double(Float(bitPattern: try cell.bigEndianInteger(UInt32.self)))
        default: throw cell.mismatch(Double.self)
        }
    }
}

extension Float: PostgresDecodable {
    /// From `real`.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Float {
        if cell.format == .text, cell.type == .float4, let value = Float(cell.text) { return value }
        guard cell.type == .float4 else { throw cell.mismatch(Float.self) }
        return Float(bitPattern: try cell.bigEndianInteger(UInt32.self))
    }
}

extension Bool: PostgresDecodable {
    /// From `boolean`.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Bool {
        guard cell.type == .bool, cell.bytes.count == 1 else { throw cell.mismatch(Bool.self) }
        return cell.format == .text ? cell.bytes[0] == UInt8(ascii: "t") : cell.bytes[0] != 0
    }
}

extension String: PostgresDecodable {
    /// From the text types, `json`, `jsonb`, `xml`, enums, and `numeric` (its decimal text).
    public static func postgresDecode(_ cell: PostgresCell) throws -> String {
        if cell.format == .text || cell.type.isTextual { return cell.text }
        switch cell.type {
        case .jsonb:
            guard cell.bytes.first == 1 else { throw PostgresDecodingFailure("unknown jsonb version") }
            return String(decoding: UnsafeRawBufferPointer(rebasing: cell.bytes.dropFirst()), as: UTF8.self)
        case .numeric:
            return try PostgresNumeric.text(from: cell.bytes)
        case .uuid:
            return try UUID.postgresDecode(cell).uuidString.lowercased()
        default:
            throw cell.mismatch(String.self)
        }
    }
}

extension Date: PostgresDecodable {
    /// From `timestamptz`, `timestamp` (taken as UTC) or `date` (midnight UTC).
    public static func postgresDecode(_ cell: PostgresCell) throws -> Date {
        guard cell.format == .binary else { throw cell.mismatch(Date.self) }
        switch cell.type {
        case .timestamptz, .timestamp:
            let micros = try cell.bigEndianInteger(Int64.self)
            if micros == .max || micros == .min { throw PostgresDecodingFailure("infinite timestamp has no Date") }
            return Date(timeIntervalSince1970: postgresEpochOffset + Double(micros) / 1_000_000)
        case .date:
            let days = try cell.bigEndianInteger(Int32.self)
            if days == .max || days == .min { throw PostgresDecodingFailure("infinite date has no Date") }
            return Date(timeIntervalSince1970: postgresEpochOffset + Double(days) * 86_400)
        default:
            throw cell.mismatch(Date.self)
        }
    }
}

extension UUID: PostgresDecodable {
    /// From `uuid`, or text holding a UUID.
    public static func postgresDecode(_ cell: PostgresCell) throws -> UUID {
        if cell.type == .uuid, cell.format == .binary {
            guard cell.bytes.count == 16 else { throw PostgresDecodingFailure("uuid value is not 16 bytes") }
            var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: cell.bytes) }
            return UUID(uuid: value)
        }
        if cell.type == .uuid || cell.type.isTextual, let value = UUID(uuidString: cell.text) { return value }
        throw cell.mismatch(UUID.self)
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// From `bytea`.
    public static func postgresDecode(_ cell: PostgresCell) throws -> [UInt8] {
        guard cell.type == .bytea, cell.format == .binary else { throw cell.mismatch([UInt8].self) }
        return [UInt8](cell.bytes)
    }
}

extension Data: PostgresDecodable {
    /// From `bytea`.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Data {
        guard cell.type == .bytea, cell.format == .binary else { throw cell.mismatch(Data.self) }
        return Data(cell.bytes)
    }
}

extension Decimal: PostgresDecodable {
    /// From `numeric` or any integer type.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Decimal {
        switch cell.type {
        case .numeric:
            return try PostgresNumeric.decimal(from: cell.format == .text ? cell.text : PostgresNumeric.text(from: cell.bytes))
        case .int2, .int4, .int8:
            return Decimal(try cell.integer(Int64.self))
        default:
            throw cell.mismatch(Decimal.self)
        }
    }
}
