/// The encoded parameters of one statement, in one byte buffer.
struct PostgresBindings: Sendable {
    /// Starts with one spare byte so that an empty non-NULL value still has an address.
    private(set) var storage: [UInt8] = [0]
    /// Start of each value in `storage`, or -1 for NULL.
    private(set) var offsets: [Int] = []
    private(set) var lengths: [Int32] = []
    private(set) var formats: [Int32] = []
    private(set) var types: [UInt32] = []

    var count: Int { offsets.count }
    var isEmpty: Bool { offsets.isEmpty }

    init() {}

    init(_ values: [(any PostgresBindable)?]) throws {
        offsets.reserveCapacity(values.count)
        lengths.reserveCapacity(values.count)
        formats.reserveCapacity(values.count)
        types.reserveCapacity(values.count)
        for value in values { try append(value) }
    }

    /// Appends one value (or NULL of unspecified type for `nil`).
    mutating func append(_ value: (any PostgresBindable)?) throws {
        guard let value else {
            appendNull(type: .unspecified)
            return
        }
        try append(encoding: value)
    }

    private mutating func append<T: PostgresBindable>(encoding value: T) throws {
        if let optional = value as? any PostgresOptionalMarker, optional.isNone {
            appendNull(type: T.postgresType)
            return
        }
        let start = storage.count
        try value.postgresEncode(into: &storage)
        let length = storage.count - start
        if T.postgresFormat == .text { storage.append(0) }  // libpq reads text values as C strings
        offsets.append(start)
        lengths.append(Int32(clamping: length))
        formats.append(T.postgresFormat.rawValue)
        types.append(T.postgresType.oid)
    }

    /// Appends a NULL of a known type.
    mutating func appendNull(type: PostgresDataType) {
        offsets.append(-1)
        lengths.append(0)
        formats.append(PostgresFormat.binary.rawValue)
        types.append(type.oid)
    }

    /// Appends every value of `other`.
    mutating func append(contentsOf other: PostgresBindings) {
        let base = storage.count
        storage.append(contentsOf: other.storage)
        offsets.append(contentsOf: other.offsets.map { $0 < 0 ? -1 : $0 + base })
        lengths.append(contentsOf: other.lengths)
        formats.append(contentsOf: other.formats)
        types.append(contentsOf: other.types)
    }

    /// A key for the statement cache: the parameter types.
    var typeSignature: [UInt32] { types }

    /// Calls `body` with the arrays libpq's `PQsend*` functions take.
    func withLibPQArguments<R>(
        _ body: (Int32, [UnsafePointer<CChar>?], [Int32], [Int32]) -> R
    ) -> R {
        storage.withUnsafeBytes { raw in
            let base = raw.baseAddress
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(offsets.count)
            for offset in offsets {
                if offset < 0 {
                    pointers.append(nil)
                } else if let base {
                    pointers.append((base + offset).assumingMemoryBound(to: CChar.self))
                } else {
                    pointers.append(nil)
                }
            }
            return body(Int32(offsets.count), pointers, lengths, formats)
        }
    }
}
