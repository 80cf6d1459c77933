/// The text of one SQL statement and the values bound to its parameters.
///
/// A query is written as a string literal. Values interpolated into it are **not** spliced
/// into the text: each becomes a bound parameter (`$1`, `$2`, …), so an interpolated value
/// can never change the statement:
/// ```swift
/// try connection.query("SELECT name FROM users WHERE id = \(id) AND active = \(true)")
/// // sent as: SELECT name FROM users WHERE id = $1 AND active = $2
/// ```
/// Parameters can also be written by hand and passed as an array:
/// ```swift
/// try connection.query("SELECT name FROM users WHERE id = $1", [id])
/// ```
/// A `String` variable is not a `PostgresQuery`: SQL assembled at run time must go through
/// ``init(unsafeSQL:)``, whose name says what the reviewer should check.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The statement as sent, with `$n` placeholders.
    public let sql: String
    /// The values bound by interpolation (retained as encoded bytes).
    let bindings: PostgresBindingsBox

    /// The number of parameters bound by interpolation.
    public var interpolatedParameterCount: Int { bindings.value.count }

    /// Creates a query from SQL text assembled at run time.
    ///
    /// Only for text that comes from the program or its files (migrations, generated DDL),
    /// never from user input: user values go in as parameters.
    /// - Parameter unsafeSQL: The statement text, with `$n` placeholders for parameters.
    public init(unsafeSQL: String) {
        self.sql = unsafeSQL
        self.bindings = PostgresBindingsBox(PostgresBindings(), failure: nil)
    }

    /// Creates a query from a string literal without interpolations.
    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    /// Creates a query from a literal whose interpolations became parameters.
    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.bindings = PostgresBindingsBox(stringInterpolation.bindings, failure: stringInterpolation.failure)
    }

    /// The SQL text (never the parameters' values).
    public var description: String { sql }

    /// Builds a ``PostgresQuery``: literal text is kept, interpolated values become `$n`.
    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var bindings = PostgresBindings()
        var failure: String?

        /// Reserves room for the literal.
        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        /// Appends literal SQL text.
        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// Binds `value` as the next parameter and appends its placeholder.
        public mutating func appendInterpolation<Value: PostgresBindable>(_ value: Value) {
            do {
                try bindings.append(value)
            } catch {
                failure = failure ?? "parameter $\(bindings.count + 1) (\(Value.self)): \(error)"
                bindings.appendNull(type: Value.postgresType)
            }
            sql += "$\(bindings.count)"
        }

        /// Binds `value` (NULL when `nil`, typed as `Value`) as the next parameter.
        public mutating func appendInterpolation<Value: PostgresBindable>(_ value: Value?) {
            if let value {
                appendInterpolation(value)
            } else {
                bindings.appendNull(type: Value.postgresType)
                sql += "$\(bindings.count)"
            }
        }

        /// Appends an identifier (a table, column, schema or channel name), double-quoted
        /// with embedded quotes doubled, so it can never end the identifier early.
        public mutating func appendInterpolation(identifier: String) {
            sql += PostgresQuery.quoteIdentifier(identifier)
        }
    }

    /// Quotes an identifier for SQL: `my "table"` → `"my ""table"""`.
    /// - Parameter identifier: Any string; NUL characters are removed.
    /// - Returns: The double-quoted identifier.
    public static func quoteIdentifier(_ identifier: String) -> String {
        "\"" + identifier.replacingAll("\u{0}", with: "").replacingAll("\"", with: "\"\"") + "\""
    }

    public static func == (lhs: PostgresQuery, rhs: PostgresQuery) -> Bool {
        lhs.sql == rhs.sql && lhs.bindings === rhs.bindings
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(sql) }
}

/// Holds interpolated bindings so ``PostgresQuery`` stays a cheap, `Sendable` value.
final class PostgresBindingsBox: Sendable {
    // Sendable: `value` is a `let` of plain arrays, never mutated after init.
    let value: PostgresBindings
    /// Why an interpolated value could not be encoded; the query then fails when run.
    let failure: String?
    init(_ value: PostgresBindings, failure: String?) {
        self.value = value
        self.failure = failure
    }
}


extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var out = ""
        out.reserveCapacity(count + 2)
        for character in self {
            if character == target { out += replacement } else { out.append(character) }
        }
        return out
    }
}
