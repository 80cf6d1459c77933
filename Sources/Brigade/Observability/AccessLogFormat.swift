import BrigadeExecutors
import NIOHTTP1

/// How an access-log line is written (`access-log.format`): `common`, `json`, or a pattern
/// (see ``Configuration/AccessLog/format``). Parsed once, at start-up.
struct AccessLogFormat: Sendable, Hashable {
    /// One piece of a pattern.
    enum Item: Sendable, Hashable {
        case text(String)
        /// `%a`: the client's IP address, `-` when unknown.
        case remoteAddress
        /// `%t`: when the request arrived, `[10/Oct/2025:13:55:36 +0000]`.
        case time
        /// `%m`
        case method
        /// `%U`: the request target as sent.
        case target
        /// `%H`: `HTTP/1.1`.
        case protocolVersion
        /// `%R`: the route template, `-` when none matched.
        case route
        /// `%s`
        case status
        /// `%b`: response body bytes, `-` when none.
        case bodyBytes
        /// `%D`: the total in milliseconds (`12.345`).
        case duration
        /// `%I`
        case requestID
        /// `%T`: the `Server-Timing` value.
        case timings
        /// `%E`: how a streamed response ended (`completed`, `failed`, `timed-out`,
        /// `client-gone`, `stalled`, `shutdown`), `-` for a response that did not stream.
        case streamEnding
    }

    enum Layout: Sendable, Hashable {
        case pattern([Item])
        case json
    }

    let layout: Layout

    /// Apache's common log format (`%h %l %u %t "%r" %>s %b`), then the request id.
    static let common = #"%a - - %t "%m %U %H" %s %b %I"#

    /// Parses `common`, `json` or a pattern.
    /// - Throws: ``ConfigurationError`` for an unknown `%` token or a trailing `%`.
    init(parsing format: String) throws(ConfigurationError) {
        switch format {
        case "json": layout = .json
        case "common": layout = .pattern(try Self.items(Self.common))
        default: layout = .pattern(try Self.items(format))
        }
    }

    private static func items(_ pattern: String) throws(ConfigurationError) -> [Item] {
        var items: [Item] = []
        var text = ""
        var iterator = pattern.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                text.append(character)
                continue
            }
            guard let token = iterator.next() else {
                throw ConfigurationError("access-log.format ends with a lone '%' (write %% for a percent sign)")
            }
            let item: Item
            switch token {
            case "%":
                text.append("%")
                continue
            case "a": item = .remoteAddress
            case "t": item = .time
            case "m": item = .method
            case "U": item = .target
            case "H": item = .protocolVersion
            case "R": item = .route
            case "s": item = .status
            case "b": item = .bodyBytes
            case "D": item = .duration
            case "I": item = .requestID
            case "T": item = .timings
            case "E": item = .streamEnding
            default:
                throw ConfigurationError(
                    "access-log.format has an unknown token %\(token); use common, json, or %a %t %m %U %H %R %s %b %D %I %T %E %%")
            }
            if !text.isEmpty { items.append(.text(text)) }
            text = ""
            items.append(item)
        }
        if !text.isEmpty { items.append(.text(text)) }
        return items
    }

    /// The line for `record`, whose request arrived at `received` (wall-clock time).
    func line(for record: RequestRecord, received: WallClockTime) -> String {
        switch layout {
        case .pattern(let items): patternLine(items, record: record, received: received)
        case .json: jsonLine(record: record, received: received)
        }
    }

    private func patternLine(_ items: [Item], record: RequestRecord, received: WallClockTime) -> String {
        var line = ""
        line.reserveCapacity(160)
        for item in items {
            switch item {
            case .text(let text): line += text
            case .remoteAddress: line += record.remoteAddress.map { Self.escaped(Self.host(of: $0)) } ?? "-"
            case .time: line += "[\(received.commonLogFormat)]"
            case .method: line += Self.escaped(record.method.rawValue)
            case .target: line += Self.escaped(record.uri)
            case .protocolVersion: line += "HTTP/\(record.version.major).\(record.version.minor)"
            case .route: line += record.route.map(Self.escaped) ?? "-"
            case .status: line += String(record.status)
            case .bodyBytes: line += record.responseBodyBytes > 0 ? String(record.responseBodyBytes) : "-"
            case .duration: line += Self.milliseconds(record.timings.total)
            case .requestID: line += Self.escaped(record.requestID)
            case .timings: line += record.timings.serverTiming
            case .streamEnding: line += record.stream?.ending.rawValue ?? "-"
            }
        }
        return line
    }

    private func jsonLine(record: RequestRecord, received: WallClockTime) -> String {
        let timings = record.timings
        let parts: [(String, Duration)] = [
            ("front-queue", timings.frontQueue), ("front", timings.front), ("back-queue", timings.backQueue),
            ("back", timings.back), ("async", timings.asyncWait), ("render", timings.render), ("total", timings.total),
        ]
        var line = "{"
        line += #""time":"\#(received.iso8601)","#
        line += #""request_id":\#(Self.jsonString(record.requestID)),"#
        line += #""remote_address":\#(record.remoteAddress.map(Self.jsonString) ?? "null"),"#
        line += #""method":\#(Self.jsonString(record.method.rawValue)),"#
        line += #""uri":\#(Self.jsonString(record.uri)),"#
        line += #""protocol":"HTTP/\#(record.version.major).\#(record.version.minor)","#
        line += #""route":\#(record.route.map(Self.jsonString) ?? "null"),"#
        line += #""status":\#(record.status),"#
        line += #""bytes":\#(record.responseBodyBytes),"#
        line += #""duration_ms":\#(Self.milliseconds(timings.total)),"#
        line += #""stream":\#(record.stream.map { Self.jsonString($0.ending.rawValue) } ?? "null"),"#
        line += #""timings_ms":{"#
        line += parts.map { #""\#($0.0)":\#(Self.milliseconds($0.1))"# }.joined(separator: ",")
        line += "}}"
        return line
    }

    /// `12.345`: milliseconds with three decimals, as in `Server-Timing`.
    static func milliseconds(_ duration: Duration) -> String {
        let nanos = duration.clampedNanoseconds
        return String(unsafeUninitializedCapacity: 24) { buffer in ServerTiming.writeMilliseconds(nanos, into: buffer) }
    }

    /// The address without its port (`203.0.113.9:51234` → `203.0.113.9`, `::1:51234` → `::1`).
    static func host(of address: String) -> Substring {
        guard let colon = address.lastIndex(of: ":") else { return address[...] }
        return address[..<colon]
    }

    /// Text for a pattern line: `"` and `\` escaped with `\`, other bytes outside printable
    /// ASCII as `\xHH` (Apache's rule), so a line is always one line and quotes balance.
    static func escaped(_ text: some StringProtocol) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 >= 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            return String(text)
        }
        var escaped = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): escaped += #"\""#
            case UInt8(ascii: "\\"): escaped += #"\\"#
            case 0x20..<0x7F: escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default: escaped += "\\x" + hex(byte)
            }
        }
        return escaped
    }

    /// A JSON string literal.
    static func jsonString(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += #"\""#
            case "\\": escaped += #"\\"#
            case "\n": escaped += #"\n"#
            case "\r": escaped += #"\r"#
            case "\t": escaped += #"\t"#
            case _ where scalar.value < 0x20: escaped += "\\u00" + hex(UInt8(scalar.value))
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
