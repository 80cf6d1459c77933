import Foundation

/// A `Codable` value sent and read as `jsonb`.
///
/// ```swift
/// try connection.query("INSERT INTO settings (doc) VALUES (\(PostgresJSONB(settings)))")
/// let settings = try row.decode(PostgresJSONB<Settings>.self, column: "doc").value
/// ```
/// Types used often as JSON can conform to ``PostgresJSONCodable`` instead and be passed as is.
public struct PostgresJSONB<Value: Codable>: PostgresBindable, PostgresDecodable {
    /// The wrapped value.
    public var value: Value

    /// Wraps a value.
    public init(_ value: Value) { self.value = value }

    /// `jsonb`
    public static var postgresType: PostgresDataType { .jsonb }
    /// Text (the JSON document).
    public static var postgresFormat: PostgresFormat { .text }

    /// Appends the JSON encoding of ``value``.
    /// - Throws: `EncodingError` from `JSONEncoder`.
    public func postgresEncode(into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: try PostgresJSONCoding.encoder().encode(value))
    }

    /// Decodes from `jsonb`, `json` or text holding JSON.
    /// - Throws: ``PostgresDecodingFailure`` for other types, `DecodingError` for bad JSON.
    public static func postgresDecode(_ cell: PostgresCell) throws -> PostgresJSONB<Value> {
        PostgresJSONB(try PostgresJSONCoding.decode(Value.self, from: cell))
    }
}

/// A `Codable` type that is bound and decoded as `jsonb` without a wrapper.
///
/// ```swift
/// struct Settings: PostgresJSONCodable { var theme: String }
/// try connection.query("UPDATE users SET settings = \(settings) WHERE id = \(id)")
/// ```
public protocol PostgresJSONCodable: Codable, PostgresBindable, PostgresDecodable {}

extension PostgresJSONCodable {
    /// `jsonb`
    public static var postgresType: PostgresDataType { .jsonb }
    /// Text (the JSON document).
    public static var postgresFormat: PostgresFormat { .text }
    /// Appends the JSON encoding of the value.
    public func postgresEncode(into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: try PostgresJSONCoding.encoder().encode(self))
    }
    /// Decodes from `jsonb`, `json` or text holding JSON.
    public static func postgresDecode(_ cell: PostgresCell) throws -> Self {
        try PostgresJSONCoding.decode(Self.self, from: cell)
    }
}

/// The JSON coders the jsonb support uses: ISO 8601 dates, default everything else.
enum PostgresJSONCoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    static func decode<T: Decodable>(_ type: T.Type, from cell: PostgresCell) throws -> T {
        var bytes = cell.bytes
        switch cell.type {
        case .jsonb where cell.format == .binary:
            guard bytes.first == 1 else { throw PostgresDecodingFailure("unknown jsonb version") }
            bytes = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        case .jsonb, .json:
            break
        default:
            guard cell.type.isTextual else { throw cell.mismatch(T.self) }
        }
        return try decoder().decode(T.self, from: Data(bytes))
    }
}
