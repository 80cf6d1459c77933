import Brigade
import NIOCore
import NIOHTTP1

/// The `/fortunes` page: the stored fortunes plus the one added at request time, sorted by
/// message, rendered as an HTML table with every message escaped.
///
/// Built on a back thread (the query), rendered on a front thread (the "view"), the way a
/// Spring MVC controller returns a model and lets the view render it.
struct FortunesPage: ResponseGenerator {
    /// The fortune TechEmpower adds to every request's list before sorting.
    static let addedAtRequestTime = Fortune(id: 0, message: "Additional fortune added at request time.")

    let fortunes: [Fortune]

    /// The page for the fortunes read from the database: adds the request-time fortune and sorts.
    init(stored: [Fortune]) {
        var all = stored
        all.append(Self.addedAtRequestTime)
        all.sort { $0.message < $1.message }
        fortunes = all
    }

    /// `text/html; charset=utf-8`, status 200; runs on a front thread.
    func response(for request: Request) throws -> Response {
        var body = ByteBuffer()
        body.reserveCapacity(1_300)
        body.writeStaticString("<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>")
        for fortune in fortunes {
            body.writeStaticString("<tr><td>")
            body.writeString(String(fortune.id))
            body.writeStaticString("</td><td>")
            HTMLEscaping.write(fortune.message, into: &body)
            body.writeStaticString("</td></tr>")
        }
        body.writeStaticString("</table></body></html>")
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/html; charset=utf-8")
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// HTML escaping of text content and attribute values: `& < > " '`.
enum HTMLEscaping {
    /// Writes `text`'s UTF-8 bytes to `buffer`, escaping the five special characters.
    static func write(_ text: String, into buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() {
                let entity: StaticString
                switch byte {
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case UInt8(ascii: "'"): entity = "&#39;"
                default: continue
                }
                buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<index])))
                buffer.writeStaticString(entity)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start...])))
        }
    }

    /// `text` escaped, as a `String` (for tests and small uses).
    static func escape(_ text: String) -> String {
        var buffer = ByteBuffer()
        write(text, into: &buffer)
        return String(buffer: buffer)
    }
}
