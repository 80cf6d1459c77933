import Foundation
import NIOCore

/// JSON encoding and decoding of bodies (Foundation's coders; ISO 8601 dates).
enum JSONBody {
    static func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]  // stable output: docs and golden tests
        return ByteBuffer(data: try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(buffer.readableBytesView))
    }
}

extension ByteBuffer {
    init(data: Data) {
        self = ByteBufferAllocator().buffer(capacity: data.count)
        self.writeBytes(data)
    }
}
