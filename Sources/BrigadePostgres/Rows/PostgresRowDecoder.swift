/// A `Decoder` over one row: coding keys are column names.
struct PostgresRowDecoder: Decoder {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedContainer<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch(
            [Any].self, .init(codingPath: [], debugDescription: "a row decodes into a keyed type or a single value; decode tuples with decode((A, B).self)"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValueContainer(row: row) }

    /// Decodes `T` from the column at `position`: directly when it is ``PostgresDecodable``,
    /// otherwise from JSON (`json`/`jsonb`/text).
    static func decode<T: Decodable>(_ type: T.Type, row: PostgresRow, at position: Int) throws -> T {
        if let decodable = T.self as? any PostgresDecodable.Type {
            return try open(decodable, row: row, at: position)
        }
        return try row.decode(PostgresJSONB<JSONOnly<T>>.self, at: position).value.value
    }

    private static func open<D: PostgresDecodable, T>(_: D.Type, row: PostgresRow, at position: Int) throws -> T {
        let value = try row.decode(D.self, at: position)
        guard let typed = value as? T else {
            throw PostgresDecodingFailure("internal: \(D.self) is not \(T.self)")
        }
        return typed
    }

    /// A decode-only wrapper so any `Decodable` can use the JSON path.
    struct JSONOnly<Value: Decodable>: Codable {
        let value: Value
        init(from decoder: any Decoder) throws { value = try Value(from: decoder) }
        func encode(to encoder: any Encoder) throws {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "decode only"))
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { row.columns.compactMap { Key(stringValue: $0.name) } }

    private func position(of key: Key) -> Int? {
        if let exact = row.rows.columnIndex(named: key.stringValue) { return exact }
        let snake = key.stringValue.snakeCased
        return snake == key.stringValue ? nil : row.rows.columnIndex(named: snake)
    }

    private func requirePosition(of key: Key) throws -> Int {
        guard let position = position(of: key) else {
            throw PostgresDecodingError(
                column: key.stringValue, columnIndex: -1, postgresType: .unspecified, swiftType: "property",
                reason: "no column named \"\(key.stringValue)\" or \"\(key.stringValue.snakeCased)\"; the result has \(row.columns.map(\.name))")
        }
        return position
    }

    func contains(_ key: Key) -> Bool { position(of: key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { row.isNull(at: try requirePosition(of: key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try PostgresRowDecoder.decode(T.self, row: row, at: try requirePosition(of: key))
    }

    private func integer<T: FixedWidthInteger>(_: T.Type, forKey key: Key) throws -> T {
        let position = try requirePosition(of: key)
        let wide = try row.decode(Int64.self, at: position)
        guard let value = T(exactly: wide) else {
            let column = row.columns[position]
            throw PostgresDecodingError(
                column: column.name, columnIndex: position, postgresType: column.type, swiftType: "\(T.self)",
                reason: "the value does not fit in \(T.self)")
        }
        return value
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try row.decode(Bool.self, at: try requirePosition(of: key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try row.decode(String.self, at: try requirePosition(of: key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try row.decode(Double.self, at: try requirePosition(of: key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try row.decode(Float.self, at: try requirePosition(of: key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try row.decode(Int.self, at: try requirePosition(of: key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(Int8.self, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try row.decode(Int16.self, at: try requirePosition(of: key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try row.decode(Int32.self, at: try requirePosition(of: key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try row.decode(Int64.self, at: try requirePosition(of: key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(UInt.self, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(UInt8.self, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(UInt16.self, forKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(UInt32.self, forKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(UInt64.self, forKey: key) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "nested containers come from json/jsonb columns; give the property a Decodable type"))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "arrays come from json/jsonb columns; give the property a Decodable type"))
    }

    func superDecoder() throws -> any Decoder { PostgresRowDecoder(row: row) }
    func superDecoder(forKey key: Key) throws -> any Decoder { PostgresRowDecoder(row: row) }
}

/// Decodes a single-column row (`SELECT count(*)` into `Int`).
private struct SingleValueContainer: SingleValueDecodingContainer {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    func decodeNil() -> Bool { row.isNull(at: 0) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try PostgresRowDecoder.decode(T.self, row: row, at: 0) }
}

extension String {
    /// `createdAt` → `created_at`; `userID` → `user_id`.
    var snakeCased: String {
        var out = ""
        out.reserveCapacity(count + 4)
        var previousWasLowerOrDigit = false
        for character in self {
            if character.isUppercase {
                if previousWasLowerOrDigit { out.append("_") }
                out += character.lowercased()
                previousWasLowerOrDigit = false
            } else {
                out.append(character)
                previousWasLowerOrDigit = character.isLowercase || character.isNumber
            }
        }
        return out
    }
}
