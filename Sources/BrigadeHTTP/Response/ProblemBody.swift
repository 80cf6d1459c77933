import NIOCore
import NIOHTTP1

/// RFC 9457 problem details, as the connector writes them for its own refusals.
enum ProblemBody {
    static func buffer(status: HTTPResponseStatus, detail: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var json = #"{"type":"about:blank","title":"#
        json += jsonString(status.reasonPhrase)
        json += #","status":\#(status.code),"detail":"#
        json += jsonString(detail)
        json += "}"
        return allocator.buffer(string: json)
    }

    /// A JSON string literal for `text`, escaped per RFC 8259.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
