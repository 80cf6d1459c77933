import NIOHTTP1

// The connector checks every response head before writing it, so that a header the
// application built from user input (a `Location` with a CR LF in it) yields a 500 instead
// of a response split in two. The rules are RFC 9110's, as NIOHTTP1's validator applies
// them; the connector does the check itself (and turns NIO's off) because NIO's validator
// drops the connection's every later write once it refuses one, leaving the client without
// an answer.

extension HTTPResponseHead {
    /// Whether the status line and every header may be sent as they are.
    var isValidToSend: Bool {
        if case .custom(_, let reason) = status, !reason.utf8.allSatisfy(\.isReasonPhraseByte) { return false }
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(\.isTokenByte) else { return false }
            guard value.utf8.allSatisfy(\.isFieldValueByte) else { return false }
        }
        return true
    }
}

extension UInt8 {
    /// `tchar` (RFC 9110 §5.6.2): what a header name is made of.
    fileprivate var isTokenByte: Bool {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// A header value byte (RFC 9110 §5.5): no control character but HTAB (so no CR, LF, NUL).
    fileprivate var isFieldValueByte: Bool {
        switch self {
        case UInt8(ascii: "\t"): true
        case 0...0x1F, 0x7F: false
        default: true
        }
    }

    /// A reason-phrase byte (RFC 9112 §4): HTAB, SP, VCHAR, obs-text.
    fileprivate var isReasonPhraseByte: Bool {
        switch self {
        case 9, 32...126, 128...255: true
        default: false
        }
    }
}
