/// A PostgreSQL data type, by its object id (`pg_type.oid`).
public struct PostgresDataType: Sendable, Hashable, CustomStringConvertible {
    /// The type's object id.
    public let oid: UInt32

    /// Wraps an object id.
    /// - Parameter oid: The `pg_type.oid` of the type; 0 lets the server infer it.
    public init(_ oid: UInt32) { self.oid = oid }

    /// Let the server infer the type from the context (`unknown`).
    public static let unspecified = PostgresDataType(0)
    /// `boolean`
    public static let bool = PostgresDataType(16)
    /// `bytea`
    public static let bytea = PostgresDataType(17)
    /// `"char"` (one byte)
    public static let char = PostgresDataType(18)
    /// `name`
    public static let name = PostgresDataType(19)
    /// `bigint`
    public static let int8 = PostgresDataType(20)
    /// `smallint`
    public static let int2 = PostgresDataType(21)
    /// `integer`
    public static let int4 = PostgresDataType(23)
    /// `text`
    public static let text = PostgresDataType(25)
    /// `oid`
    public static let oidType = PostgresDataType(26)
    /// `json`
    public static let json = PostgresDataType(114)
    /// `xml`
    public static let xml = PostgresDataType(142)
    /// `real`
    public static let float4 = PostgresDataType(700)
    /// `double precision`
    public static let float8 = PostgresDataType(701)
    /// `unknown` (an untyped literal)
    public static let unknown = PostgresDataType(705)
    /// `character(n)`
    public static let bpchar = PostgresDataType(1042)
    /// `character varying(n)`
    public static let varchar = PostgresDataType(1043)
    /// `date`
    public static let date = PostgresDataType(1082)
    /// `timestamp without time zone`
    public static let timestamp = PostgresDataType(1114)
    /// `timestamp with time zone`
    public static let timestamptz = PostgresDataType(1184)
    /// `numeric`
    public static let numeric = PostgresDataType(1700)
    /// `uuid`
    public static let uuid = PostgresDataType(2950)
    /// `jsonb`
    public static let jsonb = PostgresDataType(3802)

    /// The SQL name of built-in types, `oid <n>` for others.
    public var description: String {
        switch oid {
        case 0: "unspecified"
        case 16: "boolean"
        case 17: "bytea"
        case 18: "\"char\""
        case 19: "name"
        case 20: "bigint"
        case 21: "smallint"
        case 23: "integer"
        case 25: "text"
        case 26: "oid"
        case 114: "json"
        case 142: "xml"
        case 700: "real"
        case 701: "double precision"
        case 705: "unknown"
        case 1042: "character"
        case 1043: "character varying"
        case 1082: "date"
        case 1114: "timestamp"
        case 1184: "timestamptz"
        case 1700: "numeric"
        case 2950: "uuid"
        case 3802: "jsonb"
        default: "oid \(oid)"
        }
    }

    /// Whether values of this type are sent as UTF-8 text even in binary format: the string
    /// types, `json`, `xml`, and user-defined types such as enums.
    var isTextual: Bool {
        switch oid {
        case 18, 19, 25, 114, 142, 705, 1042, 1043: true
        default: oid >= 16384  // user-defined types (enums, domains over text) send text
        }
    }
}

/// The wire format of a value: text or binary.
public enum PostgresFormat: Int32, Sendable, Hashable {
    /// The type's text representation (what `psql` shows).
    case text = 0
    /// The type's binary representation (`typsend`/`typreceive`).
    case binary = 1
}
